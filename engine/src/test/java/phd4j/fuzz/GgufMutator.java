package phd4j.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;

/**
 * Makes mutants of a seed GGUF file, half at the byte level (bit flips, interesting integers,
 * truncation, deleted or repeated chunks, mostly in the header and metadata where the parser
 * decides things) and half at the metadata level (keys removed, values replaced by others of
 * any type, arrays cut, grown or given odd elements), written back with {@link GgufWriter} so the
 * file is well formed and the loader's own checks are what is tested.
 */
final class GgufMutator {
    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 6, 7, 8, 16, 31, 32, 33, 64, 255, 256, 259, 260, 4096, 65535, 65536,
            -1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFFFFFFL, 1L << 31, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 0x10000000};
    private static final String[] TOKENIZER_MODELS = {"llama", "gpt2", "gemma4", "t5", "bert", "", "llama\u0000"};
    private static final String[] PRE = {"default", "llama-bpe", "gpt-2", "qwen2", "deepseek-llm", "no-such", ""};
    private static final String[] TEXTS = {"", "<0x", "<0xZZ>", "<0x41>", "<0x4142>", "<s>", "</s>", "\u2581", "\uD800", "a b", "a", "\n",
            "<|endoftext|>", "<unk>", "\u0000"};

    /** One seed: its bytes, its metadata and tensors (for rewriting), where its tensor data starts. */
    record Seed(String name, byte[] bytes, Map<String, GgufValue> metadata, List<GgufWriter.TensorData> tensors, long dataOffset) {
        static Seed of(Path file, byte[] bytes) {
            try (GgufFile f = GgufFile.open(file)) {
                List<GgufWriter.TensorData> tensors = new ArrayList<>();
                for (GgufTensorInfo t : f.tensors()) {
                    byte[] data = f.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                    tensors.add(new GgufWriter.TensorData(t.name(), t.type(), t.dims(), java.lang.foreign.MemorySegment.ofArray(data)));
                }
                return new Seed(file.getFileName().toString(), bytes, new LinkedHashMap<>(f.metadata()), tensors, f.dataOffset());
            }
        }
    }

    private GgufMutator() {}

    /** Writes one mutant of seed to out; returns what was done, to reproduce it. */
    static String mutate(Seed seed, SplittableRandom rnd, Path out) throws java.io.IOException {
        if (rnd.nextBoolean()) {
            Map<String, GgufValue> metadata = deepCopy(seed.metadata());
            StringBuilder what = new StringBuilder("metadata");
            int edits = 1 + rnd.nextInt(3);
            for (int i = 0; i < edits; i++) what.append(' ').append(editMetadata(metadata, rnd));
            try {
                GgufWriter.write(out, metadata, seed.tensors());
                return what.toString();
            } catch (RuntimeException writerRefused) {
                // an edit the writer cannot express (e.g. an alignment of 0): mutate the bytes instead
            }
        }
        byte[] b = seed.bytes().clone();
        StringBuilder what = new StringBuilder("bytes");
        int edits = 1 + rnd.nextInt(4);
        for (int i = 0; i < edits; i++) {
            b = editBytes(b, seed.dataOffset(), rnd, what);
        }
        java.nio.file.Files.write(out, b);
        return what.toString();
    }

    private static byte[] editBytes(byte[] b, long dataOffset, SplittableRandom rnd, StringBuilder what) {
        if (b.length == 0) return b;
        int limit = rnd.nextInt(4) == 0 ? b.length : (int) Math.min(b.length, Math.max(1, dataOffset));
        int at = rnd.nextInt(limit);
        switch (rnd.nextInt(7)) {
            case 0 -> { b[at] ^= (byte) (1 << rnd.nextInt(8)); what.append(" flip@").append(at); }
            case 1 -> { b[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 1}[rnd.nextInt(5)]; what.append(" byte@").append(at); }
            case 2 -> {
                long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
                int width = rnd.nextBoolean() ? 4 : 8;
                ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                if (at + width <= b.length) {
                    if (width == 4) buf.putInt(at, (int) v); else buf.putLong(at, v);
                }
                what.append(" int").append(width * 8).append('@').append(at).append('=').append(v);
            }
            case 3 -> { what.append(" truncate@").append(at); return Arrays.copyOf(b, at); }
            case 4 -> {
                int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + len, c, at, b.length - at - len);
                what.append(" delete@").append(at).append('+').append(len);
                return c;
            }
            case 5 -> {
                int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at + len);
                System.arraycopy(b, at, c, at + len, b.length - at);
                what.append(" repeat@").append(at).append('+').append(len);
                return c;
            }
            default -> {
                int from = rnd.nextInt(b.length), len = Math.min(Math.min(b.length - at, b.length - from), 1 + rnd.nextInt(16));
                System.arraycopy(b, from, b, at, len);
                what.append(" copy@").append(from).append("->").append(at).append('+').append(len);
            }
        }
        return b;
    }

    private static String editMetadata(Map<String, GgufValue> m, SplittableRandom rnd) {
        List<String> keys = new ArrayList<>(m.keySet());
        String key = keys.get(rnd.nextInt(keys.size()));
        // half the edits go to the tokenizer, whose checks issue 17 added
        if (rnd.nextBoolean()) {
            List<String> tokenizerKeys = keys.stream().filter(k -> k.startsWith("tokenizer.")).toList();
            if (!tokenizerKeys.isEmpty()) key = tokenizerKeys.get(rnd.nextInt(tokenizerKeys.size()));
        }
        GgufValue v = m.get(key);
        switch (rnd.nextInt(6)) {
            case 0 -> { m.remove(key); return "remove " + key; }
            case 1 -> { m.put(key, randomScalar(rnd)); return "scalar " + key + "=" + m.get(key).value(); }
            case 2 -> { m.put("tokenizer.ggml.model", GgufValue.ofString(TOKENIZER_MODELS[rnd.nextInt(TOKENIZER_MODELS.length)]));
                        m.put("tokenizer.ggml.pre", GgufValue.ofString(PRE[rnd.nextInt(PRE.length)]));
                        return "tokenizer " + m.get("tokenizer.ggml.model").value() + "/" + m.get("tokenizer.ggml.pre").value(); }
            case 3 -> { String role = new String[] {"bos", "eos", "unknown", "padding", "eot"}[rnd.nextInt(5)];
                        m.put("tokenizer.ggml." + role + "_token_id", GgufValue.ofUInt32(INTERESTING[rnd.nextInt(INTERESTING.length)]));
                        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(rnd.nextBoolean()));
                        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(rnd.nextBoolean()));
                        return role + " id=" + m.get("tokenizer.ggml." + role + "_token_id").value(); }
            default -> {
                if (v.asArray() == null) { m.put(key, GgufValue.ofUInt32(INTERESTING[rnd.nextInt(INTERESTING.length)])); return "uint " + key; }
                m.put(key, GgufValue.ofArray(editArray(v.asArray(), rnd)));
                return "array " + key;
            }
        }
    }

    private static GgufValue randomScalar(SplittableRandom rnd) {
        long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
        return switch (rnd.nextInt(7)) {
            case 0 -> GgufValue.ofUInt32(v);
            case 1 -> GgufValue.ofInt32((int) v);
            case 2 -> GgufValue.ofUInt64(v);
            case 3 -> GgufValue.ofFloat32(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1f, 0f, 1e30f, 1e-30f}[rnd.nextInt(6)]);
            case 4 -> GgufValue.ofBool(rnd.nextBoolean());
            case 5 -> GgufValue.ofString(TEXTS[rnd.nextInt(TEXTS.length)]);
            default -> GgufValue.ofArray(GgufArray.ofInt32s(new int[rnd.nextInt(4)]));
        };
    }

    /** Cut, grown, or one element changed; the element type kept. */
    private static GgufArray editArray(GgufArray a, SplittableRandom rnd) {
        Object values = a.values();
        int n = java.lang.reflect.Array.getLength(values);
        int op = rnd.nextInt(3);
        if (op == 0) return new GgufArray(a.elementType(), copyOf(values, n == 0 ? 0 : rnd.nextInt(n)));
        if (op == 1) return new GgufArray(a.elementType(), copyOf(values, n + 1 + rnd.nextInt(8)));
        Object copy = copyOf(values, n);
        if (n == 0) return new GgufArray(a.elementType(), copy);
        int i = rnd.nextInt(n);
        switch (copy) {
            case String[] s -> s[i] = rnd.nextBoolean() ? TEXTS[rnd.nextInt(TEXTS.length)] : String.format("<0x%02X>", rnd.nextInt(256));
            case int[] s -> s[i] = (int) (rnd.nextBoolean() ? rnd.nextInt(-1, 8) : INTERESTING[rnd.nextInt(INTERESTING.length)]);
            case float[] s -> s[i] = new float[] {Float.NaN, Float.NEGATIVE_INFINITY, 1e30f, -1e30f}[rnd.nextInt(4)];
            default -> { }
        }
        return new GgufArray(a.elementType(), copy);
    }

    /** Arrays.copyOf for any array type; grown entries repeat the last one (or are the type's zero, strings empty). */
    private static Object copyOf(Object values, int n) {
        int old = java.lang.reflect.Array.getLength(values);
        Object c = java.lang.reflect.Array.newInstance(values.getClass().getComponentType(), n);
        System.arraycopy(values, 0, c, 0, Math.min(old, n));
        for (int i = old; i < n; i++) {
            Object fill = old > 0 ? java.lang.reflect.Array.get(values, old - 1) : (c instanceof String[] ? "" : null);
            if (fill != null) java.lang.reflect.Array.set(c, i, fill);
        }
        return c;
    }

    private static Map<String, GgufValue> deepCopy(Map<String, GgufValue> m) {
        Map<String, GgufValue> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v.asArray() == null ? v
                : GgufValue.ofArray(new GgufArray(v.asArray().elementType(), copyOf(v.asArray().values(), java.lang.reflect.Array.getLength(v.asArray().values()))))));
        return c;
    }
}
