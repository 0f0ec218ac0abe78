package phd4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import phd4j.tokenizer.Tokenizer;

/**
 * Training text as token ids: the files are tokenized once and cached as a memory-mapped file
 * (uint16 per token when the vocabulary has at most 65536 tokens, else int32, little-endian),
 * then split into a training part and a held-out validation part that is never trained on.
 *
 * <p><b>Token stream.</b> Each file is one document: its text (strict UTF-8) is encoded without
 * BOS ({@code encode(text, false, false)}: special-token text in the file stays plain text)
 * and followed by the tokenizer's EOS (for vocabularies from {@code phd train-tokenizer}, the
 * end-of-text token), so the model learns where a document ends.
 *
 * <p><b>Split</b> (deterministic): the last {@code validationFraction} of each file's tokens
 * (rounded to the nearest token, the trailing EOS included) is validation, the rest training.
 * Windows are only ever taken inside one part of one file (a <em>segment</em>), so no training
 * window reaches a validation token and none spans two files.
 *
 * <p><b>Cache.</b> {@code CACHE_DIR/tokens-HASH.bin}, HASH naming the files' absolute paths and
 * the tokenizer. Its header holds a key: SHA-256 of the format version, the tokenizer's
 * fingerprint (its class, size, special ids, add-BOS flag, every token's text, and the ids of a
 * probe text that exercises the pre-tokenizer and merges), and every file's size and content
 * hash. A cache whose key differs (a file changed, another tokenizer) or whose length is wrong
 * (a torn write) is rebuilt; the file is written to a temporary name and renamed, so readers see
 * the old or the new cache, never half of one.
 */
public final class TokenDataset implements AutoCloseable {
    private static final byte[] MAGIC = "PHD4JTOK".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER_FIXED = 8 + 4 + 4 + 4 + 4 + 32; // magic, version, bytes/token, vocab, files, key
    private static final String PROBE = "Hello, world! It's 12345 tokens: naïve café, 日本語 👩‍👩‍👧\n\n  x\ty  \r\n"
            + "the quick brown fox jumps over the lazy dog THE QUICK BROWN FOX don't we'll I've 3.14159";

    private final Arena arena;
    private final MemorySegment data;
    private final int bytesPerToken;
    private final int vocabSize;
    private final long[] fileStarts; // token offsets of each file, plus the total at the end
    private final Split train, validation;
    private final boolean rebuilt;
    private final Path cacheFile;

    private TokenDataset(Arena arena, MemorySegment data, int bytesPerToken, int vocabSize, long[] fileTokens,
                         double validationFraction, boolean rebuilt, Path cacheFile) {
        this.arena = arena;
        this.data = data;
        this.bytesPerToken = bytesPerToken;
        this.vocabSize = vocabSize;
        this.rebuilt = rebuilt;
        this.cacheFile = cacheFile;
        fileStarts = new long[fileTokens.length + 1];
        for (int i = 0; i < fileTokens.length; i++) fileStarts[i + 1] = fileStarts[i] + fileTokens[i];
        List<long[]> tr = new ArrayList<>(), va = new ArrayList<>();
        for (int i = 0; i < fileTokens.length; i++) {
            long n = fileTokens[i];
            long v = Math.round(n * validationFraction);
            long cut = fileStarts[i] + n - v;
            if (cut > fileStarts[i]) tr.add(new long[] {fileStarts[i], cut - fileStarts[i]});
            if (v > 0) va.add(new long[] {cut, v});
        }
        train = new Split(tr);
        validation = new Split(va);
    }

    /**
     * Opens (building if needed) the token cache of {@code files} under {@code tok}.
     *
     * @param validationFraction in [0, 1): the share of each file held out for validation
     * @throws IllegalArgumentException for a file that is not UTF-8 or a bad fraction
     * @throws UncheckedIOException if a file cannot be read or the cache cannot be written
     */
    public static TokenDataset open(List<Path> files, Tokenizer tok, Path cacheDir, double validationFraction) {
        if (files.isEmpty()) throw new IllegalArgumentException("no data files");
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
        }
        try {
            byte[] fingerprint = fingerprint(tok);
            MessageDigest name = sha256();
            name.update(fingerprint);
            MessageDigest key = sha256();
            key.update(intBytes(VERSION));
            key.update(fingerprint);
            List<byte[]> contents = new ArrayList<>(files.size());
            for (Path f : files) {
                byte[] bytes = Files.readAllBytes(f);
                contents.add(bytes);
                name.update(f.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
                name.update((byte) 0);
                key.update(longBytes(bytes.length));
                key.update(sha256().digest(bytes));
            }
            byte[] k = key.digest();
            Files.createDirectories(cacheDir);
            Path cache = cacheDir.resolve("tokens-" + HexFormat.of().formatHex(name.digest(), 0, 8) + ".bin");
            int bytesPerToken = tok.vocabSize() <= 65536 ? 2 : 4;
            boolean rebuilt = false;
            if (!valid(cache, k, files.size(), bytesPerToken, tok.vocabSize())) {
                build(cache, files, contents, tok, k, bytesPerToken);
                rebuilt = true;
            }
            return map(cache, files.size(), validationFraction, rebuilt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A dataset held in memory, without a cache file: {@code files[i]} are the token ids of
     * document i (EOS included if wanted), split like a cached dataset. For tests and callers that
     * tokenize themselves.
     */
    public static TokenDataset ofTokens(int vocabSize, double validationFraction, int[]... files) {
        if (files.length == 0) throw new IllegalArgumentException("no documents");
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
        }
        int total = 0;
        long[] lengths = new long[files.length];
        for (int i = 0; i < files.length; i++) {
            lengths[i] = files[i].length;
            total = Math.addExact(total, files[i].length);
        }
        MemorySegment all = MemorySegment.ofArray(new byte[Math.multiplyExact(total, 4)]); // int32 LE, as a cache file
        long o = 0;
        for (int[] f : files) {
            for (int t : f) {
                if (t < 0 || t >= vocabSize) throw new IllegalArgumentException("token " + t + " outside vocab " + vocabSize);
                all.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * o++, t);
            }
        }
        return new TokenDataset(Arena.ofShared(), all, 4, vocabSize, lengths, validationFraction, false, null);
    }

    /** The training part: every file but its last validationFraction. */
    public Split train() {
        return train;
    }

    /** The held-out part: the last validationFraction of every file. */
    public Split validation() {
        return validation;
    }

    /** Whether this open tokenized the files (no valid cache was there). */
    public boolean rebuilt() {
        return rebuilt;
    }

    public Path cacheFile() {
        return cacheFile;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Tokens of all files, both parts. */
    public long totalTokens() {
        return fileStarts[fileStarts.length - 1];
    }

    /** Tokens of file {@code i} (in the order given to open), its EOS included. */
    public long fileTokens(int i) {
        return fileStarts[i + 1] - fileStarts[i];
    }

    @Override
    public void close() {
        arena.close();
    }

    private int token(long i) {
        return bytesPerToken == 2
                ? Short.toUnsignedInt(data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2))
                : data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4);
    }

    /**
     * One part of the data: the concatenation of its segments (one per file), addressed
     * 0..size()-1. Thread-safe (read-only).
     */
    public final class Split {
        private final long[] starts; // absolute token offsets in the cache
        private final long[] offsets; // split coordinates: segment s covers [offsets[s], offsets[s+1])

        private Split(List<long[]> segments) {
            starts = new long[segments.size()];
            offsets = new long[segments.size() + 1];
            for (int s = 0; s < segments.size(); s++) {
                starts[s] = segments.get(s)[0];
                offsets[s + 1] = offsets[s] + segments.get(s)[1];
            }
        }

        public long size() {
            return offsets[offsets.length - 1];
        }

        /** Token i of this part (0 <= i < size()). */
        public int get(long i) {
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("token " + i + " of " + size());
            int s = segmentOf(i);
            return token(starts[s] + i - offsets[s]);
        }

        public int segmentCount() {
            return starts.length;
        }

        /** Where segment s begins, in this part's coordinates. */
        public long segmentStart(int s) {
            return offsets[s];
        }

        public long segmentLength(int s) {
            return offsets[s + 1] - offsets[s];
        }

        private int segmentOf(long i) {
            int s = Arrays.binarySearch(offsets, i);
            if (s < 0) s = -s - 2;
            while (s + 1 < offsets.length - 1 && offsets[s + 1] == i) s++; // skip empty segments
            return s;
        }

        /** Copies tokens [from, from + len) of this part into dst; they must lie in one segment. */
        public void read(long from, int[] dst, int off, int len) {
            int s = segmentOf(from);
            if (from < 0 || len < 0 || from + len > offsets[s + 1]) {
                throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + len) + ") cross a segment end");
            }
            long abs = starts[s] + from - offsets[s];
            for (int t = 0; t < len; t++) dst[off + t] = token(abs + t);
        }

        /**
         * Random training windows: {@code batch(step)} gives batchSize windows of seqLen + 1
         * tokens, each inside one segment, its start uniform over all such windows. The windows of
         * a step depend only on (seed, step), so resuming at a step needs no other state.
         *
         * @throws IllegalArgumentException if no segment holds seqLen + 1 tokens
         */
        public BatchSampler sampler(int seqLen, int batchSize, long seed) {
            return new BatchSampler(this, seqLen, batchSize, seed);
        }

        /**
         * Windows for evaluation that score every token of every segment once, except each
         * segment's first (it has no context): consecutive windows of seqLen + 1 tokens that
         * overlap by one token; the last window of a segment is moved back to end at the segment's
         * end and scores only its targets from {@link Window#scoredFrom}. A segment shorter than
         * seqLen + 1 tokens gives no window.
         */
        public List<Window> windows(int seqLen) {
            if (seqLen < 1) throw new IllegalArgumentException("sequence length must be >= 1, got " + seqLen);
            List<Window> out = new ArrayList<>();
            for (int s = 0; s < segmentCount(); s++) {
                long start = offsets[s], end = offsets[s + 1];
                if (end - start < seqLen + 1) continue;
                long w = start;
                for (; w + seqLen + 1 <= end; w += seqLen) out.add(new Window(w, 0));
                long covered = w + 1; // targets up to index w (exclusive of w+1) are scored
                if (covered < end) {
                    long last = end - seqLen - 1;
                    out.add(new Window(last, (int) (covered - (last + 1))));
                }
            }
            return out;
        }

        /** Inputs tokens [start, start+seqLen) and targets [start+1, start+seqLen+1) of a window, row-major into batch arrays. */
        public void window(long start, int seqLen, int[] inputs, int[] targets, int row) {
            int[] tmp = new int[seqLen + 1];
            read(start, tmp, 0, seqLen + 1);
            System.arraycopy(tmp, 0, inputs, row * seqLen, seqLen);
            System.arraycopy(tmp, 1, targets, row * seqLen, seqLen);
        }
    }

    /**
     * An evaluation window: inputs = tokens [start, start + seqLen), targets = tokens
     * [start + 1, start + seqLen + 1); only targets t >= scoredFrom are new (count them).
     */
    public record Window(long start, int scoredFrom) {}

    /** A training batch: row r's inputs and targets at [r * seqLen, (r + 1) * seqLen). */
    public record Batch(long step, int batchSize, int seqLen, long[] starts, int[] inputs, int[] targets) {}

    /** Seeded random windows of a {@link Split}; stateless, thread-safe. */
    public static final class BatchSampler {
        private final Split split;
        private final int seqLen, batchSize;
        private final long seed;
        private final long[] cumulative; // windows available in segments 0..s-1

        private BatchSampler(Split split, int seqLen, int batchSize, long seed) {
            if (seqLen < 1 || batchSize < 1) throw new IllegalArgumentException("sequence length and batch size must be >= 1");
            this.split = split;
            this.seqLen = seqLen;
            this.batchSize = batchSize;
            this.seed = seed;
            cumulative = new long[split.segmentCount() + 1];
            for (int s = 0; s < split.segmentCount(); s++) {
                cumulative[s + 1] = cumulative[s] + Math.max(0, split.segmentLength(s) - seqLen);
            }
            if (cumulative[cumulative.length - 1] == 0) {
                throw new IllegalArgumentException("no segment of the data holds " + (seqLen + 1) + " tokens");
            }
        }

        public int seqLen() {
            return seqLen;
        }

        public int batchSize() {
            return batchSize;
        }

        /** The start (in the split's coordinates) of row {@code row} of batch {@code step}. */
        public long start(long step, int row) {
            long r = mix(mix(seed ^ 0x9E3779B97F4A7C15L * (step + 1)) + row);
            long total = cumulative[cumulative.length - 1];
            long u = Long.remainderUnsigned(r, total); // bias < total / 2^64: negligible
            int s = Arrays.binarySearch(cumulative, u);
            s = s >= 0 ? s : -s - 2;
            while (cumulative[s + 1] == cumulative[s]) s++; // segments too short have no windows
            return split.segmentStart(s) + (u - cumulative[s]);
        }

        /** Batch number {@code step} (0, 1, ...): the same (seed, step) always gives the same batch. */
        public Batch batch(long step) {
            long[] starts = new long[batchSize];
            int[] inputs = new int[batchSize * seqLen], targets = new int[batchSize * seqLen];
            for (int r = 0; r < batchSize; r++) {
                starts[r] = start(step, r);
                split.window(starts[r], seqLen, inputs, targets, r);
            }
            return new Batch(step, batchSize, seqLen, starts, inputs, targets);
        }

        /** SplitMix64's finalizer. */
        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    // ---- the cache file: header (magic, version, bytes per token, vocab, file count, key, tokens per file), padding to 64, tokens

    private static int headerSize(int files) {
        int h = HEADER_FIXED + 8 * files;
        return (h + 63) & ~63;
    }

    private static boolean valid(Path cache, byte[] key, int files, int bytesPerToken, int vocab) throws IOException {
        if (!Files.isRegularFile(cache)) return false;
        long size = Files.size(cache);
        if (size < headerSize(files)) return false;
        ByteBuffer h = ByteBuffer.allocate(headerSize(files)).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.READ)) {
            while (h.hasRemaining() && ch.read(h) >= 0) {}
        }
        h.flip();
        byte[] magic = new byte[8];
        h.get(magic);
        if (!Arrays.equals(magic, MAGIC) || h.getInt() != VERSION || h.getInt() != bytesPerToken || h.getInt() != vocab
                || h.getInt() != files) return false;
        byte[] k = new byte[32];
        h.get(k);
        if (!Arrays.equals(k, key)) return false;
        long tokens = 0;
        for (int i = 0; i < files; i++) tokens += h.getLong();
        return size == headerSize(files) + tokens * bytesPerToken;
    }

    private static void build(Path cache, List<Path> files, List<byte[]> contents, Tokenizer tok, byte[] key, int bytesPerToken)
            throws IOException {
        int[][] ids = new int[files.size()][];
        // files are independent: tokenize them in parallel, results kept in file order
        java.util.stream.IntStream.range(0, files.size()).parallel().forEach(i -> ids[i] = encodeFile(files.get(i), contents.get(i), tok));
        int header = headerSize(files.size());
        ByteBuffer h = ByteBuffer.allocate(header).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putInt(VERSION).putInt(bytesPerToken).putInt(tok.vocabSize()).putInt(files.size()).put(key);
        for (int[] f : ids) h.putLong(f.length);
        h.position(header).flip();
        Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp" + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (h.hasRemaining()) ch.write(h);
            ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int[] f : ids) {
                for (int t : f) {
                    if (b.remaining() < 4) {
                        b.flip();
                        while (b.hasRemaining()) ch.write(b);
                        b.clear();
                    }
                    if (bytesPerToken == 2) b.putShort((short) t);
                    else b.putInt(t);
                }
            }
            b.flip();
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static int[] encodeFile(Path file, byte[] bytes, Tokenizer tok) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
        int[] ids = tok.encode(text, false, false);
        if (tok.eos() < 0) return ids;
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tok.eos();
        return out;
    }

    private static TokenDataset map(Path cache, int files, double validationFraction, boolean rebuilt) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.READ)) {
            int header = headerSize(files);
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            ByteBuffer h = all.asSlice(0, header).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            h.position(8 + 4);
            int bytesPerToken = h.getInt();
            int vocab = h.getInt();
            h.position(HEADER_FIXED);
            long[] fileTokens = new long[files];
            for (int i = 0; i < files; i++) fileTokens[i] = h.getLong();
            return new TokenDataset(arena, all.asSlice(header), bytesPerToken, vocab, fileTokens, validationFraction, rebuilt, cache);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static byte[] fingerprint(Tokenizer tok) {
        MessageDigest d = sha256();
        d.update(tok.getClass().getName().getBytes(StandardCharsets.UTF_8));
        d.update(intBytes(tok.vocabSize()));
        d.update(intBytes(tok.bos()));
        d.update(intBytes(tok.eos()));
        d.update((byte) (tok.addBos() ? 1 : 0));
        for (int i = 0; i < tok.vocabSize(); i++) {
            d.update(tok.tokenText(i).getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        }
        for (int id : tok.encode(PROBE, false, false)) d.update(intBytes(id));
        return d.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }
}
