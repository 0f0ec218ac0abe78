#!/usr/bin/env bash
# Issue 13's sitting: llama-bench and `phd bench` alternated on the same files, 2 threads:
# tg128 (three pairs on Q4_K_M, two on Q4_0 and Q8_0), pp512, and PHD K=4 against K=1 beside
# llama.cpp's pp4 against pp1; tg128 on 1.1b-q6_k and 1.1b-q5_0 where they exist. Prints each
# run's result line with the time it started.
#   scripts/bench-vs-llama.sh [MODELS_DIR]   (default /work/models: 1.1b-{q4_k_m,q4_0,q8_0}.gguf,
#   made with `phd synth --shape 1.1b` and `llama-quantize ./1.1b-f32.gguf ./1.1b-q4_k_m.gguf Q4_K_M`)
# Environment: LLAMA_BIN (the folder of llama-bench; default: what ../shared/tools/llamacpp.sh builds).
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models=${1:-/work/models}
bin=${LLAMA_BIN:-$HOME/.cache/phd4j/llama.cpp-nlc-3.21.1/build/bin}
[ -x "$bin/llama-bench" ] || { echo "bench-vs-llama: no llama-bench in $bin (set LLAMA_BIN)" >&2; exit 2; }
for f in 1.1b-q4_k_m.gguf 1.1b-q4_0.gguf 1.1b-q8_0.gguf; do
  [ -f "$models/$f" ] || { echo "bench-vs-llama: no model file $models/$f" >&2; exit 2; }
done
export LD_LIBRARY_PATH=$bin
pair() { # FILE LLAMA_ARGS PHD_ARGS
  echo "=== $(date -u +%H:%M:%S) llama $1 $2"
  "$bin/llama-bench" -m "$models/$1" -t 2 $2 2>/dev/null | grep -E '^\|.*(tg|pp)[0-9]'
  echo "=== $(date -u +%H:%M:%S) phd $1 $3"
  "$root/phd" bench -m "$models/$1" -t 2 $3 2>&1 | grep -E '^\| 1\.1b'
}
for i in 1 2 3; do pair 1.1b-q4_k_m.gguf "-p 0 -n 128 -r 3" "-p 0 -n 128 -r 3"; done
for i in 1 2; do pair 1.1b-q4_0.gguf "-p 0 -n 128 -r 3" "-p 0 -n 128 -r 3"; done
for i in 1 2; do pair 1.1b-q8_0.gguf "-p 0 -n 128 -r 3" "-p 0 -n 128 -r 3"; done
# the other types on the interleaved path, where their files exist (phd synth --type Q6_K, Q5_0)
for f in 1.1b-q6_k.gguf 1.1b-q5_0.gguf; do
  [ -f "$models/$f" ] || continue
  for i in 1 2; do pair "$f" "-p 0 -n 128 -r 3" "-p 0 -n 128 -r 3"; done
done
pair 1.1b-q4_k_m.gguf "-p 512 -n 0 -r 2" "-p 512 -n 0 -r 2"
pair 1.1b-q8_0.gguf "-p 512 -n 0 -r 2" "-p 512 -n 0 -r 2"
pair 1.1b-q4_k_m.gguf "-p 1,4 -n 0 -r 5" "-p 0 -n 64 -r 3 --phd-k 1,4"
echo "=== $(date -u +%H:%M:%S) done"
