#!/usr/bin/env bash
# Aggregate decode speed of `phd serve` under 1, 4, 8 concurrent streaming clients (phd loadgen).
#   scripts/serve-loadgen.sh MODEL [PHD_LAUNCHER] [CLIENTS] [TOKENS]
# PHD_LAUNCHER: the ./phd of the checkout whose server to measure (default: this one's), so that
# another build (e.g. main's, unpacked with git archive) can be compared; loadgen is always this one's.
# DURATION=S: a soak test instead: CLIENTS (one count) stream back to back for S seconds, every
# response checked, with lost responses, TTFT p50/p99 and the server's RSS every 5 s; e.g.
#   NP=16 DURATION=60 scripts/serve-loadgen.sh models/default.gguf "" 64 64
# NP: the server's slots (default 8; its queue holds 4 per slot, so 64 clients need 16 to all be admitted).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model=$1
server_phd=${2:-$root/phd}
server_phd=${server_phd:-$root/phd}
clients=${3:-1,4,8}
tokens=${4:-128}
port=${PORT:-18081}
np=${NP:-8}
duration=${DURATION:-0}
# its own process group: the launcher runs java as a child, and both must go at the end
setsid "$server_phd" serve -m "$model" -np "$np" -t 2 -c 512 --port "$port" 2>/tmp/serve-loadgen-$port.log &
pid=$!
trap 'kill -- -$pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.5
done
# a warm-up round (JIT), not reported
"$root/phd" loadgen --url "http://127.0.0.1:$port" -c 2 -n 32 >/dev/null
if [ "$duration" -gt 0 ]; then
  # the JVM itself, in the launcher's session, for its resident memory
  java_pid=$(pgrep -s "$pid" -f phd4j.cli.Main | head -1)
  "$root/phd" loadgen --url "http://127.0.0.1:$port" -c "$clients" -n "$tokens" --duration "$duration" --pid "${java_pid:-0}"
else
  "$root/phd" loadgen --url "http://127.0.0.1:$port" -c "$clients" -n "$tokens"
fi
