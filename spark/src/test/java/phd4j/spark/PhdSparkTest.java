package phd4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.TokenListener;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;
import phd4j.eval.Perplexity;

/**
 * PhdGenerate, PhdScore and the SQL functions in Spark's local[2] mode on the shipped default
 * model (PHD-CSWA-2, context 128): the same outputs as the engine's Session and Perplexity give
 * directly, a per-row error column (or a failed job naming the row), and one model per JVM.
 */
class PhdSparkTest {
    static final Path MODEL = Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf");
    static final String[] PROMPTS = {
        "It is a truth universally acknowledged", "Once upon a time", "The weather at Mansfield was",
        "My dear Miss Bennet, said he, I must", "Enter a messenger.", "She", "ROMEO: But soft, what light",
        "Lady Catherine was not pleased with the news that the young people had", "Mr. Darcy", "KING:",
        "Emma could not", "The ball at Netherfield",
    };
    static final int MAX_TOKENS = 12;

    static SparkSession spark;
    static Model model; // the engine directly, to compare with

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("phd4j-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        model = Model.load(MODEL, 2);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        if (model != null) model.close();
    }

    static Map<String, String> options(String... kv) {
        Map<String, String> o = new HashMap<>(Map.of("model", MODEL.toString(), "threads", "2", "max_tokens", Integer.toString(MAX_TOKENS)));
        for (int i = 0; i < kv.length; i += 2) o.put(kv[i], kv[i + 1]);
        return o;
    }

    static Dataset<Row> prompts(int partitions) {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) rows.add(RowFactory.create(i, PROMPTS[i]));
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    static GenerationResult direct(String prompt, GenerationParams params) {
        try (Session s = model.newSession(0)) {
            return s.generate(prompt, params, TokenListener.NONE);
        }
    }

    static void assertSame(GenerationResult expected, Row row, String what) {
        assertNull(row.getAs("error"), what);
        assertEquals(expected.text(), row.getAs("completion"), what);
        assertEquals(expected.promptTokens(), (int) row.getAs("prompt_tokens"), what);
        assertEquals(expected.tokens().length, (int) row.getAs("completion_tokens"), what);
        assertEquals(expected.stopReason().name().toLowerCase(), row.getAs("finish_reason"), what);
    }

    @Test
    void greedyCompletionsEqualSessionGenerate() {
        List<Row> out = PhdGenerate.transform(prompts(3), options("temperature", "0", "batch", "3")).collectAsList();
        assertEquals(PROMPTS.length, out.size());
        for (Row row : out) {
            String prompt = row.getAs("prompt");
            assertSame(direct(prompt, GenerationParams.greedy(MAX_TOKENS)), row, prompt);
        }
    }

    @Test
    void seededSamplingWithASeedColumnEqualsSessionGenerate() {
        Dataset<Row> in = prompts(2).withColumn("seed", org.apache.spark.sql.functions.expr("CAST(id * 7919 + 1 AS BIGINT)"));
        List<Row> out = PhdGenerate.transform(in, options("temperature", "0.9", "top_k", "50", "top_p", "0.95", "min_p", "0.02",
                "seed_col", "seed", "batch", "4")).collectAsList();
        var sampler = new phd4j.sample.SamplerParams(0.9f, 50, 0.95f, 0.02f, 1f, 64, 0);
        int differentFromGreedy = 0;
        for (Row row : out) {
            String prompt = row.getAs("prompt");
            long seed = row.getAs("seed");
            GenerationResult expected = direct(prompt, GenerationParams.of(MAX_TOKENS, sampler.withSeed(seed)));
            assertSame(expected, row, prompt + " seed " + seed);
            if (!expected.text().equals(direct(prompt, GenerationParams.greedy(MAX_TOKENS)).text())) differentFromGreedy++;
        }
        assertTrue(differentFromGreedy > PROMPTS.length / 2, "sampling should differ from greedy: " + differentFromGreedy);
    }

    @Test
    void stopStringsCutTheCompletionAsInTheEngine() {
        List<Row> out = PhdGenerate.transform(prompts(2), options("temperature", "0", "stop", " ", "stop.1", ",")).collectAsList();
        for (Row row : out) {
            String prompt = row.getAs("prompt");
            assertSame(direct(prompt, GenerationParams.greedy(MAX_TOKENS).withStopStrings(List.of(" ", ","))), row, prompt);
        }
    }

    @Test
    void aBadRowGetsAnErrorAndTheOthersTheirCompletion() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        String tooLong = "It is a truth universally acknowledged. ".repeat(40);
        List<Row> rows = List.of(RowFactory.create(0, PROMPTS[0]), RowFactory.create(1, null), RowFactory.create(2, tooLong),
                RowFactory.create(3, ""), RowFactory.create(4, PROMPTS[1]));
        Dataset<Row> in = spark.createDataFrame(rows, schema).coalesce(1);
        List<Row> out = PhdGenerate.transform(in, options("temperature", "0", "batch", "2")).orderBy("id").collectAsList();
        assertEquals(5, out.size());
        assertSame(direct(PROMPTS[0], GenerationParams.greedy(MAX_TOKENS)), out.get(0), "row before the bad ones");
        assertSame(direct(PROMPTS[1], GenerationParams.greedy(MAX_TOKENS)), out.get(4), "row after the bad ones");
        assertEquals("the prompt is null", out.get(1).getAs("error"));
        assertTrue(((String) out.get(2).getAs("error")).contains("longer than the context of 128"), (String) out.get(2).getAs("error"));
        assertEquals("the prompt is empty", out.get(3).getAs("error"));
        for (int i = 1; i <= 3; i++) assertNull(out.get(i).getAs("completion"));

        Dataset<Row> failing = PhdGenerate.transform(in, options("fail_fast", "true", "id_col", "id"));
        Exception e = assertThrows(Exception.class, failing::collectAsList);
        assertTrue(fullMessage(e).contains("phd_generate: row 1 of partition 0 (id = 1): the prompt is null"), fullMessage(e));
    }

    @Test
    void chatMessagesAreRenderedWithTheTemplateAsSessionChatDoes() {
        String template = "{% for m in messages %}{{ m.role | upper }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";
        StructType message = new StructType().add("role", DataTypes.StringType).add("content", DataTypes.StringType);
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("messages", DataTypes.createArrayType(message));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rows.add(RowFactory.create(i, List.of(RowFactory.create("system", "Speak as Miss Bennet."), RowFactory.create("user", PROMPTS[i]))));
        }
        rows.add(RowFactory.create(4, null));
        Dataset<Row> in = spark.createDataFrame(rows, schema).repartition(2);
        List<Row> out = PhdGenerate.transform(in, options("temperature", "0", "messages_col", "messages", "chat_template", template))
                .orderBy("id").collectAsList();
        ChatTemplate parsed = ChatTemplate.parse(template, "test");
        for (int i = 0; i < 4; i++) {
            List<ChatMessage> messages = List.of(new ChatMessage("system", "Speak as Miss Bennet."), new ChatMessage("user", PROMPTS[i]));
            try (Session s = model.newSession(0)) {
                assertSame(s.chat(parsed, messages, GenerationParams.greedy(MAX_TOKENS), TokenListener.NONE), out.get(i), "chat " + i);
            }
        }
        assertEquals("column 'messages': the messages are null", out.get(4).getAs("error"));
    }

    @Test
    void scoresArePerplexityComputeOnTheText() {
        String[] texts = {
            "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. "
                    + "However little known the feelings or views of such a man may be on his first entering a neighbourhood.\n",
            "Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition, seemed to unite some of the "
                    + "best blessings of existence; and had lived nearly twenty-one years in the world with very little to distress or vex her.",
            "Too short.",
        };
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) rows.add(RowFactory.create(i, texts[i]));
        List<Row> out = PhdScore.transform(spark.createDataFrame(rows, schema).repartition(2), options("context", "16"))
                .orderBy("id").collectAsList();
        for (int i = 0; i < 2; i++) {
            String text = texts[i].endsWith("\n") ? texts[i].substring(0, texts[i].length() - 1) : texts[i];
            int[] tokens = model.tokenizer().encode(text, true, false);
            Perplexity.Result r = Perplexity.compute(model, tokens, 16, Perplexity.WindowProgress.NONE);
            Row row = out.get(i);
            assertNull(row.getAs("error"));
            assertEquals(tokens.length, (int) row.getAs("tokens"));
            assertEquals(r.scored(), (long) row.getAs("scored_tokens"));
            // the engine's own logits move in the last float bits while the JIT warms up (the same
            // Perplexity.compute in one JVM: 60.0058532, 60.0058540, then 60.0058690), so not bitwise
            assertEquals(r.perplexity(), (double) row.getAs("perplexity"), 1e-6 * r.perplexity());
            assertEquals(-r.meanNll() * r.scored(), (double) row.getAs("log_likelihood"), 1e-6 * r.meanNll() * r.scored());
            assertTrue(r.perplexity() > 1 && r.perplexity() < 4096, "perplexity " + r.perplexity());
        }
        assertTrue(((String) out.get(2).getAs("error")).contains("a context of 16 needs at least 32"), (String) out.get(2).getAs("error"));
    }

    @Test
    void sqlFunctionsGiveTheSameAsTheEngine() {
        PhdFunctions.register(spark, options("temperature", "0", "context", "16"));
        prompts(2).createOrReplaceTempView("prompts");
        List<Row> out = spark.sql("SELECT prompt, phd_generate(prompt) AS g FROM prompts").collectAsList();
        assertEquals(PROMPTS.length, out.size());
        for (Row row : out) {
            String prompt = row.getAs("prompt");
            Row g = row.getAs("g");
            try (Session s = model.newSession(16)) {
                GenerationResult expected = s.generate(prompt, GenerationParams.greedy(MAX_TOKENS), TokenListener.NONE);
                assertSame(expected, g, "phd_generate(" + prompt + ")");
            }
        }
        String text = String.join(" ", PROMPTS);
        Row s = spark.sql("SELECT phd_score('" + text.replace("'", "\\'") + "') AS s").first().getAs("s");
        Perplexity.Result r = Perplexity.compute(model, model.tokenizer().encode(text, true, false), 16, Perplexity.WindowProgress.NONE);
        assertEquals(r.perplexity(), (double) s.getAs("perplexity"), 1e-6 * r.perplexity());
        Row bad = spark.sql("SELECT phd_generate(CAST(NULL AS STRING)) AS g").first().getAs("g");
        assertEquals("the prompt is null", bad.getAs("error"));
    }

    @Test
    void theModelIsOpenedOncePerJvmWhateverTheTasks() {
        for (int job = 0; job < 2; job++) {
            long rows = PhdGenerate.transform(prompts(6), options("temperature", "0", "max_tokens", "2")).count();
            assertEquals(PROMPTS.length, rows);
        }
        PhdScore.transform(spark.createDataFrame(List.of(RowFactory.create("x")), new StructType().add("text", DataTypes.StringType)),
                options()).collectAsList();
        // every test uses the same file and thread count: one open for the whole class, however many tasks and rows
        assertEquals(1, ModelCache.opens());
    }

    @Test
    void badOptionsFailOnTheDriverNamingTheOption() {
        assertEquals("phd4j: option 'max_tokens' must be an integer, is 'many'",
                assertThrows(IllegalArgumentException.class, () -> new PhdGenerate(options("max_tokens", "many"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new PhdGenerate(options("temprature", "1"))).getMessage()
                .startsWith("phd4j: unknown option 'temprature'"));
        assertEquals("phd4j: option 'prompt_col': no column 'text' in struct<id:int,prompt:string>",
                assertThrows(IllegalArgumentException.class, () -> PhdGenerate.transform(prompts(1), options("prompt_col", "text"))).getMessage());
        assertEquals("phd4j: invalid top-p (0 < p <= 1): 1.5",
                assertThrows(IllegalArgumentException.class, () -> new PhdGenerate(options("top_p", "1.5"))).getMessage());
    }

    static String fullMessage(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) b.append(t.getMessage()).append(" | ");
        return b.toString();
    }
}
