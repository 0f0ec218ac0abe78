#!/usr/bin/env bash
# The paper's comparison at small scale (models/README.md): trains the models/recipes/compare-*.recipe
# runs one after another, then draws all their loss curves in one chart and prints the table.
#   models/compare.sh [--seed S ...] [RUN...]
#     RUN: a recipe name without compare- and .recipe (default: all six)
#     --seed S: train with seed S (default: the recipes' 1337); give it more than once for several
#               seeds. Runs of seed S go to target/compare/seed-S/.
# A run whose GGUF exists is skipped; one with a checkpoint continues (--resume).
# Writes target/compare/seed-*/* (models, checkpoints, metrics), models/compare.svg (the first
# seed's curves) and target/compare/table.md (every run of every seed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
all=(vanilla cswa2 cswa3 swa3 phd3 vanilla-3x)
seeds=() runs=()
while [ $# -gt 0 ]; do
  case $1 in
    --seed) [ $# -ge 2 ] || { echo "compare: --seed needs a value" >&2; exit 2; }; seeds+=("$2"); shift 2 ;;
    -*) echo "compare: unknown option $1" >&2; exit 2 ;;
    *) [ -f "models/recipes/compare-$1.recipe" ] || { echo "compare: no run '$1' (one of: ${all[*]})" >&2; exit 2; }
       runs+=("$1"); shift ;;
  esac
done
[ ${#seeds[@]} -gt 0 ] || seeds=(1337)
[ ${#runs[@]} -gt 0 ] || runs=("${all[@]}")
for s in "${seeds[@]}"; do
  for r in "${runs[@]}"; do
    out=target/compare/seed-$s/$r.gguf
    if [ -f "$out" ]; then echo "compare: $r seed $s done ($out)" >&2; continue; fi
    echo "compare: training $r, seed $s" >&2
    name=$(sed -n 's/^name = //p' "models/recipes/compare-$r.recipe")
    ./phd train "models/recipes/compare-$r.recipe" --resume --seed "$s" --out "../../$out" --name "$name, seed $s"
  done
done
chart=() table=()
for s in "${seeds[@]}"; do
  for r in "${all[@]}"; do
    m=target/compare/seed-$s/$r.gguf.metrics.jsonl
    [ -f "$m" ] || continue
    table+=("$m")
    [ "$s" = "${seeds[0]}" ] && chart+=("$m")
  done
done
./phd train-plot "${chart[@]}" -o models/compare.svg \
  --title "PHD vs vanilla, 1.9M parameters, seed ${seeds[0]} (solid: train, dashed: validation)" >/dev/null
./phd train-plot "${table[@]}" -o target/compare/all-seeds.svg | tee target/compare/table.md
