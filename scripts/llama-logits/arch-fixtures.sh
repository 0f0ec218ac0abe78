#!/usr/bin/env bash
# Regenerates engine/src/test/resources/fixtures/arch/*.jsonl: llama.cpp's logits on the small
# random-weight model of each architecture that ArchFixtureTest writes again (same arch, dims,
# type, seed and context: keep this table and the test's in step).
# Usage: scripts/llama-logits/arch-fixtures.sh [ARCH...]   (default: all)
# Needs llama-logits: $LLAMA_LOGITS, or what scripts/llama-logits/build.sh builds (llama.cpp first).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
logits=${LLAMA_LOGITS:-$("$root/scripts/llama-logits/build.sh")}
out=$root/engine/src/test/resources/fixtures/arch
declare -A dims=(
  [qwen2]=64,2,4,2,128,320
  [qwen3]=64,2,4,2,128,320,32   # heads wider than dim / heads, as Qwen3's
  [phi3]=64,2,4,2,128,320
  [gemma2]=64,2,4,2,128,320,24   # heads narrower than dim / heads, as Gemma 2 2B's
  [gemma3]=32,6,2,1,64,320,32   # 6 layers: the last is the one global layer
)
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(qwen2 qwen3 phi3 gemma2 gemma3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
for a in "${archs[@]}"; do
  "$root/phd" synth --arch "$a" --dims "${dims[$a]}" --type F32 --seed 7 --ctx 64 -o "$tmp/$a.gguf"
  "$logits" -m "$tmp/$a.gguf" -n 8 -c 64 "Once upon a time" "Hi, 42!" > "$out/$a.jsonl"
  echo "wrote $out/$a.jsonl ($(wc -c < "$out/$a.jsonl") bytes)"
done
