#!/usr/bin/env bash
# phd serve against llama-server on the same files, slots, threads and context per slot:
# one server at a time on loopback, `phd loadgen` rounds against it, its peak memory, then the next.
#   scripts/serve-vs-llama.sh [MODEL...]      (default: the 1.1b Q8_0 and Q4_K_M synthetic files)
# Prints a markdown table: per file, -np and server, the aggregate decode t/s of 1, 4 and 8
# concurrent streaming clients (-np 1: one client, the single stream), TTFT p50/p99, the p99 and
# largest gap between a stream's tokens (a pass that read prompts beside the decodes), the tokens
# really generated, and the server process's VmHWM (peak resident set: heap, KV caches and the
# pages of the mapped file it touched).
# Environment: TOKENS (64) per client, NPS ("1 8"), SERVERS ("phd llama"), CTX (512 tokens per slot), THREADS (2),
# LLAMA_SERVER (the binary), PHD_SERVER (the phd launcher that serves, e.g. another checkout's), PORT (18082), ROUND_TIMEOUT (s, 420) for a server's rounds, PROMPT (the
# clients' prompt; a short one makes the rounds measure decoding more than prompt processing),
# PHD_JAVA_OPTS (passed to phd serve, e.g. a flight recording), PHD_SERVE_ARGS (more phd serve options,
# e.g. "--prompt-chunk 512": prompt tokens a step reads beside running decodes, as llama-server's -b).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(/work/models/1.1b-q8_0.gguf /work/models/1.1b-q4_k_m.gguf)
tokens=${TOKENS:-64}
nps=${NPS:-1 8}
ctx=${CTX:-512}
threads=${THREADS:-2}
llama=${LLAMA_SERVER:-$HOME/.cache/phd4j/llama.cpp-nlc-3.21.1/build/bin/llama-server}
port=${PORT:-18082}
round_timeout=${ROUND_TIMEOUT:-420}
url=http://127.0.0.1:$port
# a prompt of some length, the same for both servers (client i appends " i", so no two share a cache)
prompt=${PROMPT:-"The old lighthouse keeper climbed the spiral stairs every evening to light the lamp, and as the fog rolled in from the sea he wrote in his log"}
# llama-server: all -n tokens (ignore_eos), every prompt evaluated in full as phd serve does (no
# reuse of a slot's cached prefix: the clients' prompts differ only at the end), and no byte tokens
# 0x80-0xFF (ids 131-258 in these files' vocabulary): on these random weights it emits lone ones,
# and then ends the stream with a 500, "output that does not match the expected Content-only
# format", where phd serve streams U+FFFD. phd serve gets none of these fields.
ban=${BAN_TOKENS:-131-258}
bias=$(seq -s, -f '[%g,false]' "${ban%-*}" "${ban#*-}")
llama_extra="{\"ignore_eos\":true,\"cache_prompt\":false,\"logit_bias\":[$bias]}"
log=${TMPDIR:-/tmp}/serve-vs-llama-$port
mkdir -p "$log"

for m in "${models[@]}"; do [ -f "$m" ] || { echo "serve-vs-llama: no model file $m" >&2; exit 2; }; done
[ -x "$llama" ] || { echo "serve-vs-llama: no llama-server at $llama (set LLAMA_SERVER)" >&2; exit 2; }

group=0
stop_server() {
  [ "$group" -gt 0 ] || return 0
  kill -- -"$group" 2>/dev/null || true
  wait "$group" 2>/dev/null || true
  # the JVM may outlive its launcher for a moment: the port must be free for the next server
  local i
  for i in $(seq 100); do pgrep -g "$group" >/dev/null || break; sleep 0.1; done
  pkill -KILL -g "$group" 2>/dev/null || true
  group=0
}
trap stop_server EXIT

# start_server NAME MODEL NP: in a process group of its own; sets group and pid (the process whose memory counts)
start_server() {
  local name=$1 model=$2 np=$3
  if [ "$name" = phd ]; then
    # shellcheck disable=SC2086 # PHD_SERVE_ARGS is a list of options
    setsid "${PHD_SERVER:-$root/phd}" serve -m "$model" -np "$np" -t "$threads" -c "$ctx" --port "$port" ${PHD_SERVE_ARGS:-} >"$log/$name-$np.log" 2>&1 &
  else
    # -c is the total context, split over the slots; no unified KV pool and no host prompt cache,
    # so that each slot has its own ctx tokens as phd's do, and no cache grows the memory
    setsid env LD_LIBRARY_PATH="$(dirname "$llama")" "$llama" -m "$model" -np "$np" -c $((ctx * np)) --no-kv-unified -cram 0 \
      -t "$threads" -tb "$threads" --host 127.0.0.1 --port "$port" --no-warmup >"$log/$name-$np.log" 2>&1 &
  fi
  group=$!
  local i
  for i in $(seq 240); do
    curl -sf "$url/health" >/dev/null 2>&1 && break
    kill -0 "$group" 2>/dev/null || { echo "serve-vs-llama: $name exited; see $log/$name-$np.log" >&2; tail -5 "$log/$name-$np.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "$url/health" >/dev/null || { echo "serve-vs-llama: $name not healthy after 120 s" >&2; exit 1; }
  if [ "$name" = phd ]; then pid=$(pgrep -s "$group" -f phd4j.cli.Main | head -1); else pid=$group; fi
}

status_mib() { # status_mib PID FIELD: VmHWM or VmRSS in MiB
  awk -v f="$2:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

echo "serve-vs-llama: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, -t $threads, -c $ctx per slot, -n $tokens per client" >&2
rows=()
for model in "${models[@]}"; do
  for np in $nps; do
    clients=1,4,8
    [ "$np" -gt 1 ] || clients=1 # one slot serves one stream at a time: more clients only queue
    for name in ${SERVERS:-phd llama}; do
      t0=$(date +%s)
      start_server "$name" "$model" "$np"
      extra='{}'
      [ "$name" = phd ] || extra=$llama_extra
      # a warm-up round, not reported (the JIT; the file's pages)
      timeout 120 "$root/phd" loadgen --url "$url" -c 2 -n 16 -p "$prompt" --extra "$extra" >/dev/null
      out=$(timeout "$round_timeout" "$root/phd" loadgen --url "$url" -c "$clients" -n "$tokens" -p "$prompt" --extra "$extra") \
        || { echo "serve-vs-llama: $name rounds failed or passed ${round_timeout}s" >&2; echo "$out" >&2; exit 1; }
      hwm=$(status_mib "$pid" VmHWM)
      stop_server
      echo "$out" | sed "s|^|  $name np=$np: |" >&2
      echo "  $name np=$np: VmHWM $hwm MiB, $(( $(date +%s) - t0 )) s" >&2
      while read -r c total wall agg per p50 p99 gap99 gapmax; do
        [[ $c =~ ^[0-9]+$ ]] || continue
        rows+=("| $(basename "$model") | $np | $name | $c | $total | $agg | $per | $p50 | $p99 | $gap99 / $gapmax | $hwm |")
      done <<<"$out"
    done
  done
done
echo "| file | -np | server | clients | tokens generated | aggregate t/s | t/s per client | TTFT p50 ms | TTFT p99 ms | gap p99 / max ms | VmHWM MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
