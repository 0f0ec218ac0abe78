package phd4j.spark;

import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import phd4j.Model;
import phd4j.Session;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;

/**
 * The SQL functions {@code phd_generate(prompt)} and {@code phd_score(text)}: structs with the
 * fields of {@link PhdGenerate#OUTPUT} and {@link PhdScore#OUTPUT}, for example
 * {@code SELECT p, phd_generate(p).completion FROM prompts}. The options (model, sampling, seed,
 * context) are fixed when they are registered. A function sees one row at a time, so rows are
 * generated one by one (in one session per task, reused); the DataFrame transformations batch
 * several rows per forward pass and take per-row seeds and chat messages. A bad row gets its
 * reason in the struct's {@code error} field ({@code fail_fast} is the transformations').
 */
public final class PhdFunctions {
    private PhdFunctions() {}

    /** Registers both functions in the session, after checking the options (see {@link PhdOptions}). */
    public static void register(SparkSession spark, Map<String, String> options) {
        PhdOptions opts = PhdOptions.of(options);
        spark.udf().register("phd_generate", new Generate(opts), PhdGenerate.OUTPUT);
        spark.udf().register("phd_score", new Score(opts), PhdScore.OUTPUT);
    }

    /** Each task gets its own deserialized copy, so its session is that task's alone. */
    private static final class Generate implements UDF1<String, Row> {
        private static final long serialVersionUID = 1L;
        private final PhdOptions options;
        private transient Model model;
        private transient ChatTemplate template;
        private transient Session session;

        Generate(PhdOptions options) {
            this.options = options;
        }

        @Override
        public Row call(String prompt) {
            if (session == null) {
                model = ModelCache.model(options);
                template = BatchedGenerator.template(model, options);
                session = model.newSession(options.context);
            }
            session.reset();
            BatchedGenerator.Request r = new BatchedGenerator.Request(prompt, null, options.seed, "phd_generate", null, null);
            BatchedGenerator.Outcome outcome;
            try {
                outcome = new BatchedGenerator.Outcome(r, BatchedGenerator.start(model, template, options, session, r).run(), null);
            } catch (IllegalArgumentException | IllegalStateException | ChatTemplateException e) {
                outcome = new BatchedGenerator.Outcome(r, null, e.getMessage());
            }
            return RowFactory.create(PhdGenerate.values(outcome));
        }
    }

    private static final class Score implements UDF1<String, Row> {
        private static final long serialVersionUID = 1L;
        private final PhdOptions options;

        Score(PhdOptions options) {
            this.options = options;
        }

        @Override
        public Row call(String text) {
            return RowFactory.create(PhdScore.score(ModelCache.model(options), options, text));
        }
    }
}
