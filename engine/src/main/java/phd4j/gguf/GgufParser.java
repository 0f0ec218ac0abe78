package phd4j.gguf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import phd4j.simd.GgmlType;

/**
 * Reads and validates a GGUF header from a mapped segment. Every read is bounds-checked against
 * the segment before it happens and every count is checked against the bytes left before anything
 * is allocated, so a malformed file ends in one {@link GgufException} naming the field and its byte
 * offset. Strings are decoded as UTF-8; invalid sequences become U+FFFD (llama.cpp keeps the raw
 * bytes; we keep the file loadable, and writing such a string back is lossy).
 */
final class GgufParser {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Smallest tensor info: name length, n_dims, one dim, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    /** Smallest key/value pair: key length, value type, a one-byte value. */
    private static final int MIN_KV_BYTES = 8 + 4 + 1;

    /** What the header says, validated. */
    record Header(int version, long alignment, long dataOffset, Map<String, GgufValue> metadata,
                  List<GgufTensorInfo> tensors) {}

    private final Path file;
    private final MemorySegment seg;
    private final long size;
    private long pos;
    /** Where the tensor info being read starts. */
    private long infoStart;
    /** Byte offset of each tensor's offset field, for messages about ranges. */
    private final List<Long> offsetFieldAt = new ArrayList<>();

    private GgufParser(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    static Header parse(Path file, MemorySegment seg) {
        return new GgufParser(file, seg).header();
    }

    private Header header() {
        need(4, "magic");
        int magic = seg.get(U32, 0);
        if (magic != GgufFormat.MAGIC) {
            throw fail("magic", 0, "not a GGUF file (expected 'GGUF', found " + hex4(magic) + ")");
        }
        pos = 4;
        long version = u32("version");
        if (version == 1) throw fail("version", 4, "GGUF v1 is not supported (only v2 and v3)");
        if (version != 2 && version != 3) {
            // A big-endian file reads as a huge version: say so, since it is the likely cause.
            String hint = Integer.reverseBytes((int) version) == 3 || Integer.reverseBytes((int) version) == 2
                    ? " (a big-endian GGUF file; only little-endian is supported)" : "";
            throw fail("version", 4, "unsupported GGUF version " + version + hint + " (only v2 and v3)");
        }
        long tensorCount = count("tensor count", MIN_TENSOR_INFO_BYTES);
        long kvCount = count("metadata key count", MIN_KV_BYTES);

        Map<String, GgufValue> metadata = new LinkedHashMap<>(capacity(kvCount));
        for (int i = 0; i < kvCount; i++) readKeyValue(i, metadata);

        long alignment = alignment(metadata);
        List<GgufTensorInfo> tensors = new ArrayList<>(capacity(tensorCount));
        Map<String, Integer> names = new HashMap<>(capacity(tensorCount));
        for (int i = 0; i < tensorCount; i++) {
            GgufTensorInfo t = readTensorInfo(i, alignment);
            Integer previous = names.putIfAbsent(t.name(), i);
            if (previous != null) {
                throw fail("tensor #" + i + " ('" + t.name() + "') name", infoStart,
                        "duplicate tensor name (also tensor #" + previous + ")");
            }
            tensors.add(t);
        }
        long headerEnd = pos;
        long dataOffset = GgufFormat.alignUp(headerEnd, alignment);
        checkTensorRanges(tensors, dataOffset);
        return new Header((int) version, alignment, dataOffset,
                Collections.unmodifiableMap(metadata), List.copyOf(tensors));
    }

    // ---- metadata ----

    private void readKeyValue(int index, Map<String, GgufValue> metadata) {
        String field = "metadata key #" + index;
        long keyStart = pos;
        String key = string(field, "key", -1);
        field = field + " ('" + GgufException.quote(key) + "')";
        if (metadata.containsKey(key)) throw fail(field, keyStart, "duplicate key");
        GgufValueType type = valueType(field, "value type");
        metadata.put(key, new GgufValue(type, value(type, field, 0)));
    }

    private GgufValueType valueType(String field, String what) {
        long at = pos;
        long id = u32(field + " " + what);
        GgufValueType type = GgufValueType.fromId(id);
        if (type == null) throw fail(field + " " + what, at, "unknown value type " + id);
        return type;
    }

    private Object value(GgufValueType type, String field, int depth) {
        return switch (type) {
            case UINT8, INT8 -> { need(1, field + " value"); yield seg.get(JAVA_BYTE, pos++); }
            case UINT16, INT16 -> { short v = seg.get(U16, at(2, field + " value")); yield v; }
            case UINT32, INT32 -> { int v = seg.get(U32, at(4, field + " value")); yield v; }
            case UINT64, INT64 -> { long v = seg.get(U64, at(8, field + " value")); yield v; }
            case FLOAT32 -> { float v = seg.get(F32, at(4, field + " value")); yield v; }
            case FLOAT64 -> { double v = seg.get(F64, at(8, field + " value")); yield v; }
            case BOOL -> bool(field + " value");
            case STRING -> string(field, "value", -1);
            case ARRAY -> array(field, depth);
        };
    }

    private GgufArray array(String field, int depth) {
        if (depth >= GgufFormat.MAX_ARRAY_DEPTH) {
            throw fail(field + " array", pos, "arrays nested deeper than " + GgufFormat.MAX_ARRAY_DEPTH);
        }
        GgufValueType et = valueType(field, "array element type");
        long lengthAt = pos;
        long n = u64(field + " array length");
        long left = size - pos;
        if (n < 0 || n > left / et.minBytes()) {
            throw fail(field + " array length", lengthAt, "length " + Long.toUnsignedString(n) + " of " + et
                    + " (at least " + et.minBytes() + " bytes each) cannot fit in the " + left + " bytes left");
        }
        if (n > GgufFormat.MAX_JAVA_ARRAY) {
            throw fail(field + " array length", lengthAt, "length " + n + " is more than a Java array holds");
        }
        int len = (int) n;
        long start = pos;
        Object values = switch (et) {
            case UINT8, INT8 -> { byte[] a = new byte[len]; MemorySegment.copy(seg, JAVA_BYTE, start, a, 0, len); yield a; }
            case UINT16, INT16 -> { short[] a = new short[len]; MemorySegment.copy(seg, U16, start, a, 0, len); yield a; }
            case UINT32, INT32 -> { int[] a = new int[len]; MemorySegment.copy(seg, U32, start, a, 0, len); yield a; }
            case UINT64, INT64 -> { long[] a = new long[len]; MemorySegment.copy(seg, U64, start, a, 0, len); yield a; }
            case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(seg, F32, start, a, 0, len); yield a; }
            case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(seg, F64, start, a, 0, len); yield a; }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = bool(field, i);
                yield a;
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) a[i] = string(field, "array element", i);
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[len];
                for (int i = 0; i < len; i++) a[i] = array(field + " array element [" + i + "]", depth + 1);
                yield a;
            }
        };
        if (et.isFixedSize() && et != GgufValueType.BOOL) pos = start + n * et.minBytes();
        return new GgufArray(et, values);
    }

    private boolean bool(String field) {
        need(1, field);
        byte b = seg.get(JAVA_BYTE, pos);
        if (b != 0 && b != 1) throw fail(field, pos, "bool must be 0 or 1, found " + (b & 0xFF));
        pos++;
        return b != 0;
    }

    /** An element of a BOOL array (the field name is built only on failure). */
    private boolean bool(String field, int index) {
        byte b = seg.get(JAVA_BYTE, pos); // the array length check guarantees the byte is there
        if (b != 0 && b != 1) {
            throw fail(field + " array element [" + index + "]", pos, "bool must be 0 or 1, found " + (b & 0xFF));
        }
        pos++;
        return b != 0;
    }

    /**
     * A u64 length and that many UTF-8 bytes. {@code index >= 0} names an array element; the
     * field text is built only on failure, since vocabularies hold hundreds of thousands of strings.
     */
    private String string(String field, String what, int index) {
        long lengthAt = pos;
        if (size - pos < 8) throw fail(stringField(field, what, index, "length"), pos, truncated(8));
        long n = seg.get(U64, pos);
        pos += 8;
        long left = size - pos;
        if (n < 0 || n > left) {
            throw fail(stringField(field, what, index, "length"), lengthAt,
                    "string length " + Long.toUnsignedString(n) + " exceeds the " + left + " bytes left");
        }
        if (n > GgufFormat.MAX_JAVA_ARRAY) {
            throw fail(stringField(field, what, index, "length"), lengthAt, "string length " + n + " is too long for Java");
        }
        byte[] bytes = new byte[(int) n];
        MemorySegment.copy(seg, JAVA_BYTE, pos, bytes, 0, (int) n);
        pos += n;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String stringField(String field, String what, int index, String part) {
        return field + " " + what + (index >= 0 ? " [" + index + "]" : "") + " " + part;
    }

    private long alignment(Map<String, GgufValue> metadata) {
        GgufValue v = metadata.get(GgufFormat.ALIGNMENT_KEY);
        if (v == null) return GgufFormat.DEFAULT_ALIGNMENT;
        String field = "metadata key '" + GgufFormat.ALIGNMENT_KEY + "'";
        if (v.type() != GgufValueType.UINT32) throw GgufException.of(file, field, "must be UINT32, found " + v.type());
        long a = Integer.toUnsignedLong((Integer) v.value());
        if (!GgufFormat.isValidAlignment(a)) throw GgufException.of(file, field, "alignment " + a + " is not a nonzero power of two");
        return a;
    }

    // ---- tensor infos ----

    private GgufTensorInfo readTensorInfo(int index, long alignment) {
        infoStart = pos;
        String field = "tensor #" + index;
        String name = string(field, "name", -1);
        field = "tensor #" + index + " ('" + name + "')";
        long nDimsAt = pos;
        long nDims = u32(field + " n_dims");
        if (nDims < 1 || nDims > GgufFormat.MAX_DIMS) {
            throw fail(field + " n_dims", nDimsAt, "n_dims " + nDims + " is not in 1.." + GgufFormat.MAX_DIMS);
        }
        long[] dims = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long at = pos;
            long v = u64(field + " dims[" + d + "]");
            // A zero dim would make an empty tensor that no model uses and that has no place in the data.
            if (v < 1) throw fail(field + " dims[" + d + "]", at, "dimension " + Long.toUnsignedString(v) + " must be at least 1");
            if (elements > Long.MAX_VALUE / v) {
                throw fail(field + " dims[" + d + "]", at, "element count overflows (dims so far " + elements + " x " + v + ")");
            }
            elements *= v;
            dims[d] = v;
        }
        long typeAt = pos;
        long typeId = u32(field + " type");
        GgmlType type = GgmlType.fromId(typeId);
        if (type == null) throw fail(field + " type", typeAt, "unknown ggml type id " + typeId);
        if (dims[0] % type.blockSize != 0) {
            throw fail(field + " dims[0]", nDimsAt + 4, "dims[0] = " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        long blocks = elements / type.blockSize;
        if (blocks > Long.MAX_VALUE / type.blockBytes) {
            throw fail(field + " dims", nDimsAt + 4, "byte size overflows (" + elements + " " + type + " elements)");
        }
        long byteSize = blocks * type.blockBytes;
        long offsetAt = pos;
        long offset = u64(field + " offset");
        if (offset < 0 || offset % alignment != 0) {
            throw fail(field + " offset", offsetAt, "offset " + Long.toUnsignedString(offset)
                    + " is not a multiple of the alignment " + alignment);
        }
        offsetFieldAt.add(offsetAt);
        return new GgufTensorInfo(name, type, dims, offset, byteSize);
    }

    private void checkTensorRanges(List<GgufTensorInfo> tensors, long dataOffset) {
        long dataBytes = size - dataOffset;
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = tensors.get(i);
            if (dataBytes < 0 || t.offset() > dataBytes || t.byteSize() > dataBytes - t.offset()) {
                throw fail("tensor #" + i + " ('" + t.name() + "') offset", offsetFieldAt.get(i), "data [" + t.offset() + ", "
                        + t.offset() + " + " + t.byteSize() + ") lies past the end of the file (data section: "
                        + Math.max(0, dataBytes) + " bytes from byte " + dataOffset + ")");
            }
        }
        Integer[] order = new Integer[tensors.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(tensors.get(a).offset(), tensors.get(b).offset()));
        for (int k = 1; k < order.length; k++) {
            GgufTensorInfo prev = tensors.get(order[k - 1]);
            GgufTensorInfo t = tensors.get(order[k]);
            if (t.offset() < prev.offset() + prev.byteSize()) {
                throw fail("tensor #" + order[k] + " ('" + t.name() + "') offset", offsetFieldAt.get(order[k]),
                        "data at " + t.offset() + " overlaps tensor #" + order[k - 1] + " ('" + prev.name() + "') at ["
                                + prev.offset() + ", " + (prev.offset() + prev.byteSize()) + ")");
            }
        }
    }

    // ---- primitives ----

    private long count(String field, int minBytesEach) {
        long at = pos;
        long n = u64(field);
        long left = size - pos;
        if (n < 0 || n > left / minBytesEach) {
            throw fail(field, at, "count " + Long.toUnsignedString(n) + " cannot fit in the " + left + " bytes left");
        }
        if (n > GgufFormat.MAX_JAVA_ARRAY) throw fail(field, at, "count " + n + " is more than a Java list holds");
        return n;
    }

    private long u32(String field) {
        return Integer.toUnsignedLong(seg.get(U32, at(4, field)));
    }

    private long u64(String field) {
        return seg.get(U64, at(8, field));
    }

    /** Checks that {@code n} bytes are left, returns the current position and advances past them. */
    private long at(int n, String field) {
        need(n, field);
        long p = pos;
        pos += n;
        return p;
    }

    private void need(int n, String field) {
        if (size - pos < n) throw fail(field, pos, truncated(n));
    }

    private String truncated(int n) {
        return "file truncated: needs " + n + " bytes, " + (size - pos) + " left";
    }

    private GgufException fail(String field, long offset, String problem) {
        return GgufException.at(file, field, offset, problem);
    }

    private static int capacity(long n) {
        return (int) Math.min(n * 4 / 3 + 1, 1 << 20);
    }

    private static String hex4(int v) {
        return String.format("%02x %02x %02x %02x", v & 0xFF, (v >>> 8) & 0xFF, (v >>> 16) & 0xFF, v >>> 24);
    }
}
