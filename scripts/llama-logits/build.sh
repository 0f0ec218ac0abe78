#!/usr/bin/env bash
# Builds llama-logits against the llama.cpp that ../shared/tools/llamacpp.sh builds, and prints its path.
# Usage: scripts/llama-logits/build.sh [OUT_DIR]   (default: $HOME/.cache/phd4j/llama-logits)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${PHD4J_SHARED:-$here/../../../shared}
bin=$("$shared/tools/llamacpp.sh")
src=$(dirname "$(dirname "$bin")")
out=${1:-$HOME/.cache/phd4j/llama-logits}
mkdir -p "$out"
g++ -O2 -std=c++17 -I"$src/include" -I"$src/ggml/include" "$here/llama-logits.cpp" \
    -L"$bin" -lllama -lggml -lggml-base -Wl,-rpath,"$bin" -o "$out/llama-logits" >&2
echo "$out/llama-logits"
