package phd4j.gguf;

import java.util.Objects;

/**
 * One metadata value. Scalars are boxed in the Java type of the same width; unsigned values keep
 * their bits in the signed type (UINT8 -> Byte, UINT16 -> Short, UINT32 -> Integer,
 * UINT64 -> Long), so reading and writing never changes a bit. STRING -> String,
 * ARRAY -> {@link GgufArray}. Use {@link GgufFile#getLong} and friends for widened numbers.
 */
public record GgufValue(GgufValueType type, Object value) {
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (!type.scalarClass().isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + type.scalarClass().getSimpleName()
                    + ", not a " + value.getClass().getSimpleName());
        }
    }

    public static GgufValue ofUInt8(int v) { return new GgufValue(GgufValueType.UINT8, (byte) v); }
    public static GgufValue ofInt8(byte v) { return new GgufValue(GgufValueType.INT8, v); }
    public static GgufValue ofUInt16(int v) { return new GgufValue(GgufValueType.UINT16, (short) v); }
    public static GgufValue ofInt16(short v) { return new GgufValue(GgufValueType.INT16, v); }
    public static GgufValue ofUInt32(long v) { return new GgufValue(GgufValueType.UINT32, (int) v); }
    public static GgufValue ofInt32(int v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue ofUInt64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue ofInt64(long v) { return new GgufValue(GgufValueType.INT64, v); }
    public static GgufValue ofFloat32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofFloat64(double v) { return new GgufValue(GgufValueType.FLOAT64, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofString(String v) { return new GgufValue(GgufValueType.STRING, v); }
    public static GgufValue ofArray(GgufArray v) { return new GgufValue(GgufValueType.ARRAY, v); }

    /** The array, or null when this value is not an ARRAY. */
    public GgufArray asArray() {
        return value instanceof GgufArray a ? a : null;
    }
}
