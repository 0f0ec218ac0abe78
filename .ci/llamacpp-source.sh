#!/usr/bin/env bash
# Fetches llama.cpp's source tree (no build) from the npm package node-llama-cpp, once, into the
# cache folder ../shared/tools/llamacpp.sh builds in, and prints the tree's path. The tests read its
# models/ggml-vocab-*.gguf test vectors (LlamaCppVocabTest) when PHD4J_LLAMACPP_SRC names it.
# Usage: .ci/llamacpp-source.sh     -> e.g. $HOME/.cache/phd4j/llama.cpp-nlc-3.21.1
# Needs: npm, git.
set -euo pipefail
ver=3.21.1
cache=${LLAMACPP_CACHE:-$HOME/.cache/phd4j}
src=$cache/llama.cpp-nlc-$ver
if [ ! -f "$src/CMakeLists.txt" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/tmp.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  ( cd "$work" && npm pack --silent "node-llama-cpp@$ver" >/dev/null && mkdir pkg && tar xzf "node-llama-cpp-$ver.tgz" -C pkg )
  rm -rf "$src"
  git -c advice.detachedHead=false clone -q "$work/pkg/package/llama/gitRelease.bundle" "$src" >&2
fi
echo "$src"
