package phd4j.spark.example;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import phd4j.spark.PhdGenerate;

/**
 * An example job (spark-submit --class phd4j.spark.example.GenerateJob): greedy completions of N
 * numbered prompts through {@link PhdGenerate}, then checks that every prompt came back exactly
 * once with no error, and prints rows/s and generated tokens/s (the generation only: the job
 * is timed from the first action's start, the Spark session already up).
 *
 * <p>Arguments: MODEL N MAX_TOKENS PARTITIONS THREADS BATCH. The master is spark-submit's
 * (or -Dspark.master for a plain java run).
 */
public final class GenerateJob {
    private GenerateJob() {}

    public static void main(String[] args) {
        if (args.length != 6) {
            System.err.println("usage: GenerateJob MODEL N MAX_TOKENS PARTITIONS THREADS BATCH");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[3]);
        SparkSession spark = SparkSession.builder().appName("phd4j-generate-example").getOrCreate();
        try {
            List<String> prompts = IntStream.range(0, n).mapToObj(Prompts::prompt).toList();
            Dataset<Row> in = spark.createDataset(prompts, Encoders.STRING()).toDF("prompt")
                    .withColumn("id", org.apache.spark.sql.functions.monotonically_increasing_id())
                    .repartition(partitions);
            Dataset<Row> out = PhdGenerate.transform(in, Map.of("model", args[0], "max_tokens", args[2], "temperature", "0",
                    "threads", args[4], "batch", args[5], "id_col", "id"));
            long t0 = System.nanoTime();
            Row totals = out.selectExpr("count(*)", "count(DISTINCT prompt)", "count(error)", "sum(completion_tokens)",
                    "sum(prompt_tokens)").first();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long rows = totals.getLong(0), distinct = totals.getLong(1), errors = totals.getLong(2), tokens = totals.getLong(3);
            System.out.printf("master %s, %d executors: %d rows (%d distinct prompts, %d errors), %d generated tokens, %d prompt tokens%n",
                    spark.sparkContext().master(), spark.sparkContext().getExecutorMemoryStatus().size() - 1, rows, distinct, errors,
                    tokens, totals.getLong(4));
            System.out.printf("%.1f s: %.1f rows/s, %.1f generated tokens/s%n", seconds, rows / seconds, tokens / seconds);
            if (rows != n || distinct != n || errors != 0) {
                System.err.println("FAILED: expected " + n + " rows, each prompt once, no error");
                System.exit(1);
            }
            System.out.println("OK: every prompt once, no error");
        } finally {
            spark.stop();
        }
    }
}
