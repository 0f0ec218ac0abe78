#!/usr/bin/env bash
# Runs ./phd with hostile arguments and prints the markdown table of docs/reliability.md:
# command, exit status, lines on stderr, the last stderr line. Needs the shared stories260K model.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${PHD4J_SHARED:-$root/../shared}
model=$shared/models/stories260K.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/fifo"
printf 'caf\xe9\n' > "$tmp/latin1.txt"
printf 'GGUF but not really' > "$tmp/junk.gguf"
: > "$tmp/empty.gguf"

row() { # row STDIN ARGS...: one table row for "phd ARGS < STDIN"
  local input=$1; shift
  local status
  timeout 60 "$root/phd" "$@" < "$input" > "$tmp/out" 2> "$tmp/err"
  status=$?
  local lines; lines=$(grep -c '' "$tmp/err")
  local last; last=$(tail -n 1 "$tmp/err" | sed "s#$tmp#TMP#g; s#$shared#SHARED#g; s#|#\\\\|#g")
  local shown; shown=$(printf '%s ' "$@" | sed "s#$tmp#TMP#g; s#$shared#SHARED#g; s#|#\\\\|#g")
  [ "$input" != /dev/null ] && shown="$shown< ${input/#$tmp/TMP}"
  printf '| `%s` | %s | %s | %s |\n' "$shown" "$status" "$lines" "$last"
}

echo '| command | exit | stderr lines | stderr (last line) |'
echo '|---|---|---|---|'
row /dev/null run -m "$model" -p Once -c 5000000 -n 4
row /dev/null run -m "$model" -p Once -c 2000000000 -n 4
row /dev/null run -m "$tmp/fifo" -p hi
row /dev/null run -m "$model" -f "$tmp/fifo"
row /dev/null run -m "$model" -f "$tmp"
row /dev/null run -m "$tmp" -p hi
row /dev/null info -m /dev/null
row /dev/null run -m "$model" -f "$tmp/latin1.txt"
row "$tmp/latin1.txt" tokenize -m "$model"
row /dev/null tokenize -m "$model" --cases "$tmp/fifo"
row /dev/null run -m "$tmp/nope.gguf" -p hi
row /dev/null run -m "$tmp/junk.gguf" -p hi
row /dev/null run -m "$tmp/empty.gguf" -p hi
row /dev/null run -m "$model" -p "Once upon a time there was" -c 4
row /dev/null run -m "$model" -p Once -c 16 --keep 16
row /dev/null run -m "$model" -p Once -n -2
row /dev/null run -m "$model" -p Once -t 0
row /dev/null perplexity -m "$model" -f "$tmp"
row /dev/null chat -m "$model" -c 2000000000
row /dev/null serve -m "$model" --port 0 -np 1000 -c 1000000
