package phd4j.gguf;

/**
 * The metadata value types of GGUF, in id order (the enum ordinal is the id stored in the file).
 * {@link #minBytes()} is the smallest encoding of one value of the type; the parser uses it to
 * refuse element counts that cannot fit in the bytes left before allocating anything.
 */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1),
    /** u64 length + UTF-8 bytes: at least the 8 length bytes. */
    STRING(8),
    /** u32 element type + u64 count: at least 12 bytes. */
    ARRAY(12),
    UINT64(8), INT64(8), FLOAT64(8);

    private static final GgufValueType[] BY_ID = values();
    private final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    /** The id stored in GGUF files. */
    public int id() {
        return ordinal();
    }

    /** The type with this id, or null when the id is unknown (ids are u32 in the file, hence long). */
    public static GgufValueType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** Bytes of one value for fixed-size types, the minimum for STRING and ARRAY. */
    public int minBytes() {
        return minBytes;
    }

    /** Whether values have a fixed size ({@link #minBytes()} is then exact). */
    public boolean isFixedSize() {
        return this != STRING && this != ARRAY;
    }

    /** Whether this is one of the eight integer types. */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether values of this integer type are unsigned. */
    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** The boxed Java class of a scalar value of this type (see {@link GgufValue}). */
    Class<?> scalarClass() {
        return switch (this) {
            case UINT8, INT8 -> Byte.class;
            case UINT16, INT16 -> Short.class;
            case UINT32, INT32 -> Integer.class;
            case UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
    }

    /** The Java array class holding the elements of an array of this type (see {@link GgufArray}). */
    Class<?> arrayClass() {
        return switch (this) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }
}
