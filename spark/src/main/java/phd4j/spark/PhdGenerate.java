package phd4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import phd4j.GenerationResult;
import phd4j.chat.ChatMessage;

/**
 * A DataFrame transformation: each row's prompt (column {@code prompt_col}, default "prompt"), or
 * its chat messages ({@code messages_col}: an array of structs with string fields role and
 * content, rendered with the model's chat template or the option {@code chat_template}), gets a
 * completion, with the columns {@link #OUTPUT} appended. Sampling: the options temperature,
 * top_k, top_p, min_p, seed, max_tokens, stop; {@code seed_col} (an integer column) gives rows
 * their own seed (null: the option's). Within a partition up to {@code batch} rows decode together
 * ({@link BatchedGenerator}). A row that cannot be generated gets its reason in {@code error} and
 * null outputs; with {@code fail_fast=true} it fails the task, and so the job, naming the row.
 */
public final class PhdGenerate {
    /** The columns appended to each row. */
    public static final StructType OUTPUT = new StructType(new StructField[] {
        DataTypes.createStructField("completion", DataTypes.StringType, true),
        DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, true),
        DataTypes.createStructField("completion_tokens", DataTypes.IntegerType, true),
        DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
        DataTypes.createStructField("error", DataTypes.StringType, true),
    });

    private final PhdOptions options;

    /** Checks the options (see {@link PhdOptions}) here, on the driver. */
    public PhdGenerate(Map<String, String> options) {
        this.options = PhdOptions.of(options);
    }

    /** Shorthand for {@code new PhdGenerate(options).transform(input)}. */
    public static Dataset<Row> transform(Dataset<Row> input, Map<String, String> options) {
        return new PhdGenerate(options).transform(input);
    }

    /** The input's rows with the generation's columns appended; lazy, as any Spark transformation. */
    public Dataset<Row> transform(Dataset<Row> input) {
        StructType in = input.schema();
        String source = options.messagesCol != null ? options.messagesCol : options.promptCol;
        int sourceIndex = column(in, source, options.messagesCol != null ? "messages_col" : "prompt_col");
        if (options.messagesCol != null) checkMessages(in.fields()[sourceIndex]);
        else requireType(in.fields()[sourceIndex], "prompt_col", DataTypes.StringType);
        int seedIndex = options.seedCol == null ? -1 : column(in, options.seedCol, "seed_col");
        if (seedIndex >= 0 && !isInteger(in.fields()[seedIndex].dataType())) {
            throw new IllegalArgumentException("phd4j: option 'seed_col': column '" + options.seedCol + "' is "
                    + in.fields()[seedIndex].dataType().simpleString() + ", not an integer type");
        }
        int idIndex = options.idCol == null ? -1 : column(in, options.idCol, "id_col");
        StructType out = appended(in, OUTPUT);
        return input.mapPartitions(generator(options, sourceIndex, seedIndex, idIndex), Encoders.row(out));
    }

    /** The per-partition work; static, so that the task carries the options and indexes only. */
    private static MapPartitionsFunction<Row, Row> generator(PhdOptions opts, int sourceIndex, int seedIndex, int idIndex) {
        boolean chat = opts.messagesCol != null;
        return rows -> {
            int partition = TaskContext.getPartitionId();
            Iterator<BatchedGenerator.Request> requests = new Iterator<>() {
                long n;

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public BatchedGenerator.Request next() {
                    return request(rows.next(), partition, n++, chat, sourceIndex, seedIndex, idIndex, opts);
                }
            };
            BatchedGenerator gen = new BatchedGenerator(ModelCache.model(opts), opts, requests);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return gen.hasNext();
                }

                @Override
                public Row next() {
                    BatchedGenerator.Outcome o = gen.next();
                    if (o.error() != null && opts.failFast) throw new IllegalArgumentException("phd_generate: " + o.request().label() + ": " + o.error());
                    return RowFactory.create(concat((Row) o.request().source(), values(o)));
                }
            };
        };
    }

    /** The values of {@link #OUTPUT} for an outcome. */
    static Object[] values(BatchedGenerator.Outcome o) {
        GenerationResult r = o.result();
        if (r == null) return new Object[] {null, null, null, null, o.error()};
        return new Object[] {r.text(), r.promptTokens(), r.tokens().length, r.stopReason().name().toLowerCase(Locale.ROOT), null};
    }

    static BatchedGenerator.Request request(Row row, int partition, long n, boolean chat, int source, int seed, int id, PhdOptions o) {
        String label = "row " + n + " of partition " + partition + (id >= 0 ? " (" + o.idCol + " = " + row.get(id) + ")" : "");
        long rowSeed = seed >= 0 && !row.isNullAt(seed) ? ((Number) row.get(seed)).longValue() : o.seed;
        String prompt = null, inputError = null;
        List<ChatMessage> messages = null;
        if (chat) {
            try {
                messages = messages(row, source);
            } catch (IllegalArgumentException e) {
                inputError = "column '" + o.messagesCol + "': " + e.getMessage();
            }
        } else {
            prompt = row.getString(source);
        }
        return new BatchedGenerator.Request(prompt, messages, rowSeed, label, inputError, row);
    }

    /** The chat messages of an array-of-struct(role, content) column; IllegalArgumentException if null or incomplete. */
    private static List<ChatMessage> messages(Row row, int index) {
        if (row.isNullAt(index)) throw new IllegalArgumentException("the messages are null");
        List<Row> list = row.getList(index);
        if (list.isEmpty()) throw new IllegalArgumentException("no messages");
        List<ChatMessage> messages = new ArrayList<>(list.size());
        for (Row m : list) {
            if (m == null) throw new IllegalArgumentException("a null message");
            messages.add(new ChatMessage(m.getAs("role"), m.getAs("content")));
        }
        return messages;
    }

    private static void checkMessages(StructField f) {
        boolean ok = f.dataType() instanceof ArrayType a && a.elementType() instanceof StructType s
                && hasString(s, "role") && hasString(s, "content");
        if (!ok) {
            throw new IllegalArgumentException("phd4j: option 'messages_col': column '" + f.name() + "' is " + f.dataType().simpleString()
                    + ", not array<struct<role:string,content:string>>");
        }
    }

    private static boolean hasString(StructType s, String name) {
        return Arrays.asList(s.fieldNames()).contains(name) && s.apply(name).dataType().equals(DataTypes.StringType);
    }

    static int column(StructType schema, String name, String option) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("phd4j: option '" + option + "': no column '" + name + "' in " + schema.simpleString());
        }
        return schema.fieldIndex(name);
    }

    static void requireType(StructField f, String option, DataType type) {
        if (!f.dataType().equals(type)) {
            throw new IllegalArgumentException("phd4j: option '" + option + "': column '" + f.name() + "' is "
                    + f.dataType().simpleString() + ", not " + type.simpleString());
        }
    }

    private static boolean isInteger(DataType t) {
        return t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType);
    }

    /** The input's fields, then the added ones; refuses a name the input already has. */
    static StructType appended(StructType in, StructType added) {
        for (String name : added.fieldNames()) {
            if (Arrays.asList(in.fieldNames()).contains(name)) {
                throw new IllegalArgumentException("phd4j: the input already has a column '" + name + "' (rename it: the output adds " + added.simpleString() + ")");
            }
        }
        StructType out = in;
        for (StructField f : added.fields()) out = out.add(f);
        return out;
    }

    static Object[] concat(Row row, Object[] added) {
        Object[] all = new Object[row.size() + added.length];
        for (int i = 0; i < row.size(); i++) all[i] = row.get(i);
        System.arraycopy(added, 0, all, row.size(), added.length);
        return all;
    }
}
