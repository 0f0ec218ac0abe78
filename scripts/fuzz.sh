#!/usr/bin/env bash
# A long fuzz campaign: scripts/fuzz.sh GGUF_CASES TOKENIZER_CASES [SEED]
# Runs engine's FuzzTest (the suite runs it with 1500 and 6000 cases) with these counts and prints
# both reports: outcome classes, the most frequent clean errors, and the first failures with the
# case, seed file and mutation needed to reproduce each. With PHD4J_SHARED (default ../shared) the
# shared models and vocabularies join the seeds. Exit status: 0 when nothing was unclean or hung.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gguf=${1:?usage: scripts/fuzz.sh GGUF_CASES TOKENIZER_CASES [SEED]}
tokenizer=${2:?usage: scripts/fuzz.sh GGUF_CASES TOKENIZER_CASES [SEED]}
seed=${3:-$RANDOM}
# a JDK 25: JAVA_HOME, else the first one under /usr/lib/jvm
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/*25*; do [ -x "$d/bin/javac" ] && export JAVA_HOME=$d && break; done
fi
export PHD4J_SHARED=${PHD4J_SHARED:-$root/../shared}
cd "$root"
./mvnw -q install -DskipTests -pl engine -am
status=0
rm -f engine/target/fuzz-report.txt
./mvnw -q test -pl engine -Dtest=FuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.timeout=0 \
  -Dphd4j.fuzz.gguf="$gguf" -Dphd4j.fuzz.tokenizer="$tokenizer" -Dphd4j.fuzz.seed="$seed" > /dev/null 2>&1 || status=$?
echo "seed $seed"
cat engine/target/fuzz-report.txt
exit $status
