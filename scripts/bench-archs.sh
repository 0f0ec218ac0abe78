#!/usr/bin/env bash
# Decode speed (tg) of each architecture on a Q4_K_M file as llama-quantize writes it, phd4j
# against llama.cpp on the same file and thread count, alternated in one sitting.
# Usage: scripts/bench-archs.sh [SHAPE=110m] [THREADS=2] [DIR=/tmp/phd4j-bench-archs]
# Needs ../shared/tools/llamacpp.sh (llama-quantize, llama-bench). Prints one markdown row per run.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-110m}; threads=${2:-2}; dir=${3:-/tmp/phd4j-bench-archs}
bin=$(../shared/tools/llamacpp.sh)
mkdir -p "$dir"
archs=(llama qwen2 qwen3 phi3 gemma2 gemma3)
for arch in "${archs[@]}"; do   # the files first, so that the timings run back to back
  q=$dir/$shape-$arch-Q4_K_M.gguf
  if [ ! -f "$q" ]; then
    ./phd synth --shape "$shape" --arch "$arch" --type F32 -o "$dir/f32.gguf" >/dev/null 2>&1
    "$bin/llama-quantize" "$dir/f32.gguf" "$q" Q4_K_M >/dev/null 2>&1
    rm -f "$dir/f32.gguf"
  fi
done
echo "| arch | round | llama.cpp tg64 t/s | phd4j tg64 t/s | ratio |"
echo "|---|---|---|---|---|"
for arch in "${archs[@]}"; do
  q=$dir/$shape-$arch-Q4_K_M.gguf
  for round in 1 2; do
    l=$("$bin/llama-bench" -m "$q" -p 0 -n 64 -r 3 -t "$threads" -o csv 2>/dev/null | tail -1 | awk -F, '{gsub(/"/,""); print $(NF-1)}')
    p=$(./phd bench -m "$q" -p 0 -n 64 -r 3 -t "$threads" -o csv 2>/dev/null | sed -n 2p | awk -F, '{print $12}')
    echo "| $arch | $round | $l | $p | $(awk -v a="$p" -v b="$l" 'BEGIN{printf "%.2f", a/b}') |"
  done
done
