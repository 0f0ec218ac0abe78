package phd4j.spark;

import java.util.Iterator;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import phd4j.Model;
import phd4j.eval.Perplexity;

/**
 * A DataFrame transformation: the log-likelihood and perplexity of each row's text (column
 * {@code text_col}, default "text"), computed as {@code phd perplexity -c CONTEXT} computes them
 * on a file holding that text ({@link Perplexity}: windows of {@code context} tokens, 0 = the
 * model's trained context, the second half of each scored; one trailing newline dropped as the
 * command drops it), so the numbers are the same. A text needs at least twice the context in
 * tokens; a shorter one, or a null, gets its reason in {@code error} (or fails the job with
 * {@code fail_fast=true}, naming the row).
 */
public final class PhdScore {
    /** The columns appended to each row. */
    public static final StructType OUTPUT = new StructType(new StructField[] {
        DataTypes.createStructField("tokens", DataTypes.IntegerType, true),
        DataTypes.createStructField("scored_tokens", DataTypes.LongType, true),
        DataTypes.createStructField("log_likelihood", DataTypes.DoubleType, true),
        DataTypes.createStructField("perplexity", DataTypes.DoubleType, true),
        DataTypes.createStructField("error", DataTypes.StringType, true),
    });

    private final PhdOptions options;

    /** Checks the options (see {@link PhdOptions}) here, on the driver. */
    public PhdScore(Map<String, String> options) {
        this.options = PhdOptions.of(options);
    }

    /** Shorthand for {@code new PhdScore(options).transform(input)}. */
    public static Dataset<Row> transform(Dataset<Row> input, Map<String, String> options) {
        return new PhdScore(options).transform(input);
    }

    /** The input's rows with the score's columns appended; lazy, as any Spark transformation. */
    public Dataset<Row> transform(Dataset<Row> input) {
        StructType in = input.schema();
        int textIndex = PhdGenerate.column(in, options.textCol, "text_col");
        PhdGenerate.requireType(in.fields()[textIndex], "text_col", DataTypes.StringType);
        int idIndex = options.idCol == null ? -1 : PhdGenerate.column(in, options.idCol, "id_col");
        StructType out = PhdGenerate.appended(in, OUTPUT);
        return input.mapPartitions(scorer(options, textIndex, idIndex), Encoders.row(out));
    }

    /** The per-partition work; static, so that the task carries the options and indexes only. */
    private static MapPartitionsFunction<Row, Row> scorer(PhdOptions opts, int textIndex, int idIndex) {
        return rows -> {
            int partition = TaskContext.getPartitionId();
            Model model = ModelCache.model(opts);
            return new Iterator<>() {
                long n;

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    long index = n++;
                    Object[] values = score(model, opts, row.getString(textIndex));
                    if (values[4] != null && opts.failFast) {
                        String label = "row " + index + " of partition " + partition + (idIndex >= 0 ? " (" + opts.idCol + " = " + row.get(idIndex) + ")" : "");
                        throw new IllegalArgumentException("phd_score: " + label + ": " + values[4]);
                    }
                    return RowFactory.create(PhdGenerate.concat(row, values));
                }
            };
        };
    }

    /** The values of {@link #OUTPUT} for one text. */
    static Object[] score(Model model, PhdOptions options, String text) {
        if (text == null) return new Object[] {null, null, null, null, "the text is null"};
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        int ctx = options.context > 0 ? options.context : model.config().trainedContext();
        int[] tokens = model.tokenizer().encode(text, true, false);
        if (tokens.length < Perplexity.minimumTokens(ctx)) {
            return new Object[] {tokens.length, null, null, null, "the text has " + tokens.length + " tokens; a context of " + ctx
                    + " needs at least " + Perplexity.minimumTokens(ctx) + " (a smaller option 'context' or a longer text)"};
        }
        Perplexity.Result r = Perplexity.compute(model, tokens, ctx, Perplexity.WindowProgress.NONE);
        return new Object[] {tokens.length, r.scored(), -r.meanNll() * r.scored(), r.perplexity(), null};
    }
}
