package phd4j.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A GGUF file (v2 or v3, little-endian), mapped once read-only and validated completely when
 * opened: afterwards every tensor lies inside the file, aligned, without overlap, and every
 * metadata value has been decoded. Tensor data is never copied: {@link #tensorData} returns slices
 * of the mapping, valid until {@link #close()}. The mapping uses a shared arena, so the file may be
 * read from any thread; closing while another thread reads fails that read.
 *
 * <p>Typed getters ({@code getX}) throw {@link GgufException} naming the file and key when the key
 * is missing or holds another type; {@code findX} return empty when it is missing (and still throw
 * on a wrong type: a wrong type is a broken file, not an absent option).
 *
 * <p>Strings are UTF-8; invalid byte sequences are decoded as U+FFFD instead of failing, so any
 * file llama.cpp accepts opens here, but such strings do not survive a write unchanged.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufParser.Header header;
    private final Map<String, GgufTensorInfo> byName;
    private boolean closed;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
        this.byName = new HashMap<>(header.tensors().size() * 2);
        for (GgufTensorInfo t : header.tensors()) byName.put(t.name(), t);
    }

    /** Maps and validates {@code path}; any problem, from a missing file to a bad tensor offset, is a {@link GgufException}. */
    public static GgufFile open(Path path) {
        if (Files.isDirectory(path)) throw new GgufException(path + ": is a folder, not a GGUF file");
        // checked on the attributes: opening a FIFO without a writer blocks forever
        if (Files.exists(path) && !Files.isRegularFile(path)) throw new GgufException(path + ": not a regular file (a FIFO, socket or device), not a GGUF file");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) throw new GgufException(path + ": empty file, not a GGUF file");
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            GgufParser.Header header = GgufParser.parse(path, mapping);
            return new GgufFile(path, arena, mapping, header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufException(path + ": no such file", e);
        } catch (AccessDeniedException e) {
            arena.close();
            throw new GgufException(path + ": permission denied", e);
        } catch (IOException e) {
            arena.close();
            throw new GgufException(path + ": cannot read: " + e, e);
        } catch (GgufException e) {
            arena.close();
            throw e;
        } catch (RuntimeException | OutOfMemoryError e) {
            // The parser checks every read and count first, so this means a bug in it; still
            // report it as a GgufException about this file rather than leak an unrelated type.
            arena.close();
            throw new GgufException(path + ": internal error while parsing: " + e, e);
        }
    }

    public Path path() { return path; }
    public int version() { return header.version(); }
    /** Alignment of the tensor data: general.alignment, or 32. */
    public long alignment() { return header.alignment(); }
    /** Where the data section starts: the end of the header rounded up to the alignment. */
    public long dataOffset() { return header.dataOffset(); }
    public long fileSize() { return mapping.byteSize(); }
    /** The whole mapping (read-only), for tools that need raw bytes. */
    public MemorySegment segment() { return mapping; }

    /** All key/value pairs in file order; unmodifiable. */
    public Map<String, GgufValue> metadata() { return header.metadata(); }

    public boolean has(String key) { return header.metadata().containsKey(key); }

    /** The value of {@code key}, or a GgufException naming the file and key. */
    public GgufValue get(String key) {
        GgufValue v = header.metadata().get(key);
        if (v == null) throw GgufException.of(path, field(key), "missing");
        return v;
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(header.metadata().get(key));
    }

    // ---- strings ----

    public String getString(String key) {
        return (String) typed(key, get(key), GgufValueType.STRING).value();
    }

    public Optional<String> findString(String key) {
        GgufValue v = header.metadata().get(key);
        return v == null ? Optional.empty() : Optional.of((String) typed(key, v, GgufValueType.STRING).value());
    }

    // ---- integers ----

    /** Any integer type, unsigned ones widened without sign; a UINT64 above 2^63-1 is refused. */
    public long getLong(String key) {
        return asLong(key, get(key));
    }

    public OptionalLong findLong(String key) {
        GgufValue v = header.metadata().get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(asLong(key, v));
    }

    /** Any integer type whose value fits in an int. */
    public int getInt(String key) {
        return toInt(key, getLong(key));
    }

    public int getInt(String key, int defaultValue) {
        OptionalLong v = findLong(key);
        return v.isPresent() ? toInt(key, v.getAsLong()) : defaultValue;
    }

    // ---- floats and bools ----

    /** FLOAT32, or FLOAT64 narrowed to float. */
    public float getFloat(String key) {
        return asFloat(key, get(key));
    }

    public float getFloat(String key, float defaultValue) {
        GgufValue v = header.metadata().get(key);
        return v == null ? defaultValue : asFloat(key, v);
    }

    public boolean getBool(String key, boolean defaultValue) {
        GgufValue v = header.metadata().get(key);
        return v == null ? defaultValue : (Boolean) typed(key, v, GgufValueType.BOOL).value();
    }

    // ---- arrays (copies, so callers may modify them) ----

    public String[] getStringArray(String key) {
        return ((String[]) array(key, GgufValueType.STRING).values()).clone();
    }

    /** A FLOAT32 array, or FLOAT64 narrowed to float. */
    public float[] getFloatArray(String key) {
        GgufArray a = arrayOf(key);
        if (a.values() instanceof float[] f) return f.clone();
        if (a.values() instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        throw wrongArray(key, a, "FLOAT32 or FLOAT64");
    }

    /** An integer array of any width; unsigned elements widened, every element checked to fit in an int. */
    public int[] getIntArray(String key) {
        GgufArray a = arrayOf(key);
        GgufValueType et = a.elementType();
        if (!et.isInteger()) throw wrongArray(key, a, "an integer type");
        int n = a.length();
        int[] out = new int[n];
        switch (a.values()) {
            case byte[] b -> { for (int i = 0; i < n; i++) out[i] = et.isUnsigned() ? b[i] & 0xFF : b[i]; }
            case short[] s -> { for (int i = 0; i < n; i++) out[i] = et.isUnsigned() ? s[i] & 0xFFFF : s[i]; }
            case int[] v -> {
                for (int i = 0; i < n; i++) {
                    if (et.isUnsigned() && v[i] < 0) throw outOfIntRange(key, i, Integer.toUnsignedString(v[i]));
                    out[i] = v[i];
                }
            }
            case long[] v -> {
                for (int i = 0; i < n; i++) {
                    if (v[i] != (int) v[i]) {
                        throw outOfIntRange(key, i, et.isUnsigned() ? Long.toUnsignedString(v[i]) : Long.toString(v[i]));
                    }
                    out[i] = (int) v[i];
                }
            }
            default -> throw new IllegalStateException("integer array held in " + a.values().getClass());
        }
        return out;
    }

    // ---- tensors ----

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() { return header.tensors(); }

    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw GgufException.of(path, "tensor '" + name + "'", "missing");
        return t;
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor's bytes: a read-only slice of the mapping, no copy; valid until {@link #close()}. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw GgufException.of(path, "tensor '" + t.name() + "'", "is not a tensor of this file");
        }
        return mapping.asSlice(header.dataOffset() + t.offset(), t.byteSize());
    }

    /** Unmaps the file; slices from {@link #tensorData} become inaccessible. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size() + " tensors]";
    }

    // ---- helpers ----

    private GgufValue typed(String key, GgufValue v, GgufValueType want) {
        if (v.type() != want) throw GgufException.of(path, field(key), "expected " + want + ", found " + v.type());
        return v;
    }

    private long asLong(String key, GgufValue v) {
        long x = switch (v.value()) {
            case Byte b when v.type() == GgufValueType.UINT8 -> b & 0xFF;
            case Short s when v.type() == GgufValueType.UINT16 -> s & 0xFFFF;
            case Integer i when v.type() == GgufValueType.UINT32 -> Integer.toUnsignedLong(i);
            case Byte b -> b;
            case Short s -> s;
            case Integer i -> i;
            case Long l -> l;
            default -> throw GgufException.of(path, field(key), "expected an integer, found " + v.type());
        };
        if (v.type() == GgufValueType.UINT64 && x < 0) {
            throw GgufException.of(path, field(key), "UINT64 value " + Long.toUnsignedString(x) + " exceeds 2^63-1");
        }
        return x;
    }

    private int toInt(String key, long x) {
        if (x != (int) x) throw GgufException.of(path, field(key), "value " + x + " does not fit in an int");
        return (int) x;
    }

    private float asFloat(String key, GgufValue v) {
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> (float) (double) d;
            default -> throw GgufException.of(path, field(key), "expected FLOAT32 or FLOAT64, found " + v.type());
        };
    }

    private GgufArray arrayOf(String key) {
        return (GgufArray) typed(key, get(key), GgufValueType.ARRAY).value();
    }

    private GgufArray array(String key, GgufValueType elementType) {
        GgufArray a = arrayOf(key);
        if (a.elementType() != elementType) throw wrongArray(key, a, elementType.toString());
        return a;
    }

    private GgufException wrongArray(String key, GgufArray a, String want) {
        return GgufException.of(path, field(key), "expected an array of " + want + ", found an array of " + a.elementType());
    }

    private GgufException outOfIntRange(String key, int index, String value) {
        return GgufException.of(path, field(key) + " [" + index + "]", "value " + value + " does not fit in an int");
    }

    private static String field(String key) {
        return "metadata key '" + key + "'";
    }
}
