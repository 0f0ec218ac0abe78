#!/usr/bin/env bash
# The Spark example job (phd4j.spark.example.GenerateJob) over N prompts, greedy, MAX_TOKENS each,
# three ways on this machine, back to back: a plain Java loop over one Session (the baseline),
# spark-submit to local[2], and spark-submit to local-cluster[2,1,1024] (a master and two worker
# executors of 1 core and 1 GiB each, separate JVMs). Each Spark run checks that every prompt came
# back exactly once with no error. Not part of the test suite (minutes).
# Spark comes from Maven Central: the module's provided dependencies are copied into
# spark/target/spark-dist/jars, a SPARK_HOME without the shell scripts, so spark-submit is its
# main class, org.apache.spark.deploy.SparkSubmit (what bin/spark-submit runs).
# Usage: scripts/spark-local-cluster.sh [N=10000] [MAX_TOKENS=8] [BATCH=8]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; max_tokens=${2:-8}; batch=${3:-8}
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
  for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25*; do [ -x "$d/bin/java" ] && { export JAVA_HOME=$d; break; }; done
fi
./mvnw -q -B install -DskipTests -pl spark -am
dist=$PWD/spark/target/spark-dist
if [ ! -d "$dist/jars" ]; then
  ./mvnw -q -B dependency:copy-dependencies -pl spark -DincludeScope=provided -DoutputDirectory="$dist/jars"
fi
mkdir -p "$dist/conf"
cp spark/src/test/resources/log4j2.properties "$dist/conf/"
export SPARK_HOME=$dist
export SPARK_SCALA_VERSION=2.13 # else the worker's launcher looks for a source build (launcher/target/scala-2.13)
version=0.1.0-SNAPSHOT
app=$PWD/spark/target/phd4j-spark-$version.jar
deps=$PWD/engine/target/phd4j-engine-$version.jar,$PWD/simd/target/phd4j-simd-$version.jar
model=$PWD/models/default.gguf
# phd4j's flags; Spark adds its own --add-opens to the executors, but this driver JVM is started here, not by its launcher
phd_flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
spark_flags=$(sed -n '/<spark.jvm.flags>/,/<\/spark.jvm.flags>/p' spark/pom.xml | sed 's/<[^>]*>//g' | tr -s ' \n' ' ')

echo "== plain Session loop, 2 threads"
"$JAVA_HOME/bin/java" $phd_flags -cp "$app:${deps//,/:}" phd4j.spark.example.SessionLoop "$model" "$n" "$max_tokens" 2

submit() { # MASTER PARTITIONS THREADS
  "$JAVA_HOME/bin/java" $phd_flags $spark_flags -Xmx2g -cp "$dist/conf:$dist/jars/*" org.apache.spark.deploy.SparkSubmit \
    --master "$1" --conf spark.ui.enabled=false --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf "spark.executor.extraJavaOptions=$phd_flags" --conf "spark.driver.extraJavaOptions=$phd_flags" \
    --jars "$deps" --class phd4j.spark.example.GenerateJob "$app" "$model" "$n" "$max_tokens" "$2" "$3" "$batch"
}
echo "== spark-submit --master local[2]: 2 tasks at a time in one JVM, sharing one model of 2 threads"
submit "local[2]" 4 2
echo "== spark-submit --master local-cluster[2,1,1024]: 2 executor JVMs of 1 core, a model of 1 thread each"
rss=$(mktemp)
( while sleep 2; do ps -eo rss=,args= | awk '/CoarseGrainedExecutorBackend/ && !/awk/ {print $1}' >> "$rss"; done ) &
sampler=$!
submit "local-cluster[2,1,1024]" 4 1
kill "$sampler"
echo "largest executor resident set seen: $(sort -n "$rss" | tail -1 | awk '{printf "%.0f MiB", $1 / 1024}') (-Xmx1g each)"
rm -f "$rss"
