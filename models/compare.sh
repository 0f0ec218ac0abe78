#!/usr/bin/env bash
# The paper's comparison at small scale (models/README.md): trains the models/recipes/compare-*.recipe
# runs one after another, then draws all their loss curves in one chart and prints the table.
#   models/compare.sh [RUN...]      (default: all six; a run is a recipe name without compare- and .recipe)
# A run whose GGUF exists is skipped; one with a checkpoint continues (--resume). Runs are niced.
# Writes target/compare/* (models, checkpoints, metrics), models/compare.svg and target/compare/table.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(vanilla cswa2 cswa3 swa3 phd3 vanilla-3x)
for r in "${runs[@]}"; do
  if [ -f "target/compare/$r.gguf" ]; then echo "compare: $r done (target/compare/$r.gguf)" >&2; continue; fi
  echo "compare: training $r" >&2
  nice -n 19 ./phd train "models/recipes/compare-$r.recipe" --resume
done
metrics=()
for r in vanilla cswa2 cswa3 swa3 phd3 vanilla-3x; do
  [ -f "target/compare/$r.gguf.metrics.jsonl" ] && metrics+=("target/compare/$r.gguf.metrics.jsonl")
done
./phd train-plot "${metrics[@]}" -o models/compare.svg --title "PHD vs vanilla, 1.9M parameters (solid: train, dashed: validation)" \
  | tee target/compare/table.md
