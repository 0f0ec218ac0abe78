package phd4j.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import phd4j.simd.GgmlType;

/**
 * Writes GGUF files in llama.cpp's layout, so that reading a llama.cpp file and writing it back
 * gives the same bytes: header, key/value pairs in map order, tensor infos with offsets assigned
 * in list order, then (only when there are tensors) zero padding up to the alignment and each
 * tensor's data followed by zero padding up to the alignment, the last one included. The alignment
 * is {@code general.alignment} when present (UINT32, a power of two), else 32.
 *
 * <p>The file appears atomically: it is written to a temporary file in the same folder, forced to
 * disk and renamed over {@code out}. Bad arguments are {@link IllegalArgumentException}s; I/O
 * failures are {@link GgufException}s naming {@code out}.
 */
public final class GgufWriter {
    private GgufWriter() {}

    /**
     * One tensor to write: {@code dims} in GGUF order, {@code byteSize} bytes that {@code bytes}
     * hands to the writer when the tensor's turn comes. Produced on demand, a whole model can be
     * written without holding it in memory; the writer checks that exactly byteSize bytes came.
     */
    public record TensorData(String name, GgmlType type, long[] dims, long byteSize, TensorBytes bytes) {
        public TensorData {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(bytes, "bytes");
            dims = dims.clone();
        }

        /** A tensor whose bytes are already in memory (or mapped): exactly the tensor's bytes. */
        public TensorData(String name, GgmlType type, long[] dims, MemorySegment data) {
            this(name, type, dims, Objects.requireNonNull(data, "data").byteSize(), sink -> sink.write(data));
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }
    }

    /** Produces a tensor's bytes, in order, in pieces of any size. */
    @FunctionalInterface
    public interface TensorBytes {
        void writeTo(Sink sink) throws IOException;
    }

    /** Takes the next piece of a tensor; the piece may be reused once write returns. */
    @FunctionalInterface
    public interface Sink {
        void write(MemorySegment piece) throws IOException;
    }

    /** Writes a GGUF v3 file. */
    public static void write(Path out, Map<String, GgufValue> metadata, List<TensorData> tensors) {
        write(out, 3, metadata, tensors);
    }

    /** Writes a GGUF file of {@code version} 2 or 3 (their layouts are the same; only the number differs). */
    public static void write(Path out, int version, Map<String, GgufValue> metadata, List<TensorData> tensors) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version must be 2 or 3, not " + version);
        long alignment = alignment(metadata);
        long[] offsets = layOut(tensors, alignment);
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            Objects.requireNonNull(e.getKey(), "metadata key");
            checkDepth(e.getKey(), Objects.requireNonNull(e.getValue(), "metadata value"));
        }

        Path target = out.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                LittleEndianOutput o = new LittleEndianOutput(ch);
                writeHeader(o, version, metadata, tensors, offsets);
                if (!tensors.isEmpty()) {
                    o.padTo(alignment);
                    long dataStart = o.position();
                    for (int i = 0; i < tensors.size(); i++) {
                        if (o.position() - dataStart != offsets[i]) throw new IllegalStateException("tensor layout drifted");
                        TensorData t = tensors.get(i);
                        long start = o.position();
                        t.bytes().writeTo(o::segment);
                        if (o.position() - start != t.byteSize()) {
                            throw new IllegalStateException("tensor '" + t.name() + "' produced " + (o.position() - start)
                                    + " bytes, declared " + t.byteSize());
                        }
                        o.padTo(alignment);
                    }
                }
                o.flush();
                ch.force(true);
            }
            makeReadableLikeNewFiles(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new GgufException(out + ": cannot write: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The temporary file is hidden and named after the target; leaving it is harmless.
                }
            }
        }
    }

    /** Reads every key and tensor of {@code in} and writes them to {@code out}, same version. */
    public static void copy(GgufFile in, Path out) {
        List<TensorData> tensors = new ArrayList<>(in.tensors().size());
        for (GgufTensorInfo t : in.tensors()) tensors.add(new TensorData(t.name(), t.type(), t.dims(), in.tensorData(t)));
        write(out, in.version(), in.metadata(), tensors);
    }

    // ---- layout and checks ----

    private static long alignment(Map<String, GgufValue> metadata) {
        GgufValue v = metadata.get(GgufFormat.ALIGNMENT_KEY);
        if (v == null) return GgufFormat.DEFAULT_ALIGNMENT;
        if (v.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException(GgufFormat.ALIGNMENT_KEY + " must be UINT32, not " + v.type());
        }
        long a = Integer.toUnsignedLong((Integer) v.value());
        if (!GgufFormat.isValidAlignment(a)) {
            throw new IllegalArgumentException(GgufFormat.ALIGNMENT_KEY + " = " + a + " is not a nonzero power of two");
        }
        return a;
    }

    /** Checks every tensor and returns its offset in the data section. */
    private static long[] layOut(List<TensorData> tensors, long alignment) {
        long[] offsets = new long[tensors.size()];
        Set<String> names = new HashSet<>();
        long next = 0;
        for (int i = 0; i < tensors.size(); i++) {
            TensorData t = tensors.get(i);
            String what = "tensor '" + t.name() + "'";
            if (!names.add(t.name())) throw new IllegalArgumentException("duplicate " + what);
            long[] dims = t.dims;
            if (dims.length < 1 || dims.length > GgufFormat.MAX_DIMS) {
                throw new IllegalArgumentException(what + " has " + dims.length + " dims, not 1.." + GgufFormat.MAX_DIMS);
            }
            long elements = 1;
            for (long d : dims) {
                if (d < 1) throw new IllegalArgumentException(what + " has a dim < 1: " + Arrays.toString(dims));
                elements = Math.multiplyExact(elements, d);
            }
            if (dims[0] % t.type().blockSize != 0) {
                throw new IllegalArgumentException(what + " dims[0] = " + dims[0] + " is not a multiple of the "
                        + t.type() + " block size " + t.type().blockSize);
            }
            long bytes = t.type().bytesFor(elements);
            if (t.byteSize() != bytes) {
                throw new IllegalArgumentException(what + " needs " + bytes + " bytes of " + t.type() + " data, got " + t.byteSize());
            }
            offsets[i] = next;
            next = GgufFormat.alignUp(next + bytes, alignment);
        }
        return offsets;
    }

    /** The reader refuses deeper nesting, so the writer must not produce it. */
    private static void checkDepth(String key, GgufValue v) {
        if (v.value() instanceof GgufArray a && depth(a) > GgufFormat.MAX_ARRAY_DEPTH) {
            throw new IllegalArgumentException("metadata key '" + key + "' nests arrays deeper than " + GgufFormat.MAX_ARRAY_DEPTH);
        }
    }

    private static int depth(GgufArray a) {
        int max = 0;
        if (a.values() instanceof GgufArray[] inner) for (GgufArray x : inner) max = Math.max(max, depth(x));
        return 1 + max;
    }

    private static void makeReadableLikeNewFiles(Path p) throws IOException {
        // createTempFile makes the file private (0600); a written model should have ordinary permissions.
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | FileSystemException ignored) {
            // Not a POSIX file system: the default permissions are fine there.
        }
    }

    // ---- encoding ----

    private static void writeHeader(LittleEndianOutput o, int version, Map<String, GgufValue> metadata,
                                    List<TensorData> tensors, long[] offsets) throws IOException {
        o.u32(GgufFormat.MAGIC);
        o.u32(version);
        o.u64(tensors.size());
        o.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            string(o, e.getKey());
            o.u32(e.getValue().type().id());
            value(o, e.getValue().type(), e.getValue().value());
        }
        for (int i = 0; i < tensors.size(); i++) {
            TensorData t = tensors.get(i);
            string(o, t.name());
            o.u32(t.dims.length);
            for (long d : t.dims) o.u64(d);
            o.u32(t.type().id);
            o.u64(offsets[i]);
        }
    }

    private static void value(LittleEndianOutput o, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> o.u8((Byte) v);
            case UINT16, INT16 -> o.u16((Short) v);
            case UINT32, INT32 -> o.u32((Integer) v);
            case UINT64, INT64 -> o.u64((Long) v);
            case FLOAT32 -> o.f32((Float) v);
            case FLOAT64 -> o.f64((Double) v);
            case BOOL -> o.u8((Boolean) v ? 1 : 0);
            case STRING -> string(o, (String) v);
            case ARRAY -> array(o, (GgufArray) v);
        }
    }

    private static void array(LittleEndianOutput o, GgufArray a) throws IOException {
        o.u32(a.elementType().id());
        o.u64(a.length());
        switch (a.values()) {
            case byte[] v -> o.bytes(v);
            case short[] v -> { for (short x : v) o.u16(x); }
            case int[] v -> { for (int x : v) o.u32(x); }
            case long[] v -> { for (long x : v) o.u64(x); }
            case float[] v -> { for (float x : v) o.f32(x); }
            case double[] v -> { for (double x : v) o.f64(x); }
            case boolean[] v -> { for (boolean x : v) o.u8(x ? 1 : 0); }
            case String[] v -> { for (String x : v) string(o, x); }
            case GgufArray[] v -> { for (GgufArray x : v) array(o, x); }
            default -> throw new IllegalStateException("array values held in " + a.values().getClass());
        }
    }

    private static void string(LittleEndianOutput o, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.u64(b.length);
        o.bytes(b);
    }
}
