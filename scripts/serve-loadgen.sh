#!/usr/bin/env bash
# Aggregate decode speed of `phd serve` under 1, 4, 8 concurrent streaming clients (phd loadgen).
#   scripts/serve-loadgen.sh MODEL [PHD_LAUNCHER] [CLIENTS] [TOKENS]
# PHD_LAUNCHER: the ./phd of the checkout whose server to measure (default: this one's), so that
# another build (e.g. main's, unpacked with git archive) can be compared; loadgen is always this one's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model=$1
server_phd=${2:-$root/phd}
clients=${3:-1,4,8}
tokens=${4:-128}
port=${PORT:-18081}
# its own process group: the launcher runs java as a child, and both must go at the end
setsid "$server_phd" serve -m "$model" -np 8 -t 2 -c 512 --port "$port" 2>/tmp/serve-loadgen-$port.log &
pid=$!
trap 'kill -- -$pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.5
done
# a warm-up round (JIT), not reported
"$root/phd" loadgen --url "http://127.0.0.1:$port" -c 2 -n 32 >/dev/null
"$root/phd" loadgen --url "http://127.0.0.1:$port" -c "$clients" -n "$tokens"
