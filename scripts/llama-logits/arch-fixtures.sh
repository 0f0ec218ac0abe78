#!/usr/bin/env bash
# Regenerates engine/src/test/resources/fixtures/arch/*.jsonl: llama.cpp's logits on the small
# random-weight model of each architecture that ArchFixtureTest writes again (same arch, dims,
# type, seed and context: keep this table and the test's in step).
# Usage: scripts/llama-logits/arch-fixtures.sh [FIXTURE...]   (default: all)
# Needs llama-logits: $LLAMA_LOGITS, or what scripts/llama-logits/build.sh builds (llama.cpp first).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
logits=${LLAMA_LOGITS:-$("$root/scripts/llama-logits/build.sh")}
out=$root/engine/src/test/resources/fixtures/arch
# fixture: arch dims type
declare -A spec=(
  [llama3.1]="llama3.1 64,2,4,2,128,320 F32"    # llama with Llama 3.1's rope_freqs.weight
  [qwen2]="qwen2 64,2,4,2,128,320 F32"
  [qwen3]="qwen3 64,2,4,2,128,320,32 F32"        # heads wider than dim / heads, as Qwen3's
  [phi3]="phi3 64,2,4,2,128,320 F32"
  [phi3-Q8_0]="phi3 256,2,4,2,512,320 Q8_0"      # the fused matrices' row slices in a block type
  [gemma2]="gemma2 64,2,4,2,128,320,24 F32"      # heads narrower than dim / heads, as Gemma 2 2B's
  [gemma3]="gemma3 32,6,2,1,64,320,32 F32"       # 6 layers: the last is the one global layer
)
fixtures=("$@")
[ ${#fixtures[@]} -gt 0 ] || fixtures=(llama3.1 qwen2 qwen3 phi3 phi3-Q8_0 gemma2 gemma3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
for x in "${fixtures[@]}"; do
  read -r arch dims type <<< "${spec[$x]}"
  "$root/phd" synth --arch "$arch" --dims "$dims" --type "$type" --seed 7 --ctx 64 -o "$tmp/$x.gguf"
  "$logits" -m "$tmp/$x.gguf" -n 8 -c 64 "Once upon a time" "Hi, 42!" > "$out/$x.jsonl"
  echo "wrote $out/$x.jsonl ($(wc -c < "$out/$x.jsonl") bytes)"
done
