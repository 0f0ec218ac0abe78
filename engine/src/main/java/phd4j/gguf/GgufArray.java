package phd4j.gguf;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array: all elements share {@code elementType}. {@code values} is the primitive array
 * of the element width ({@code byte[]} for UINT8/INT8, {@code short[]}, {@code int[]},
 * {@code long[]}, {@code float[]}, {@code double[]}, {@code boolean[]}), a {@code String[]}, or a
 * {@code GgufArray[]} for nested arrays. Unsigned elements keep their bits, as in {@link GgufValue}.
 * The array is shared, not copied: treat it as read-only.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        if (elementType.arrayClass() != values.getClass()) {
            throw new IllegalArgumentException(elementType + " elements must be held in a "
                    + elementType.arrayClass().getSimpleName() + ", not a " + values.getClass().getSimpleName());
        }
        if (values instanceof Object[] objects) {
            for (Object o : objects) Objects.requireNonNull(o, "array element");
        }
    }

    public static GgufArray ofStrings(String... v) { return new GgufArray(GgufValueType.STRING, v); }
    public static GgufArray ofFloats(float... v) { return new GgufArray(GgufValueType.FLOAT32, v); }
    public static GgufArray ofInt32s(int... v) { return new GgufArray(GgufValueType.INT32, v); }

    public int length() {
        return Array.getLength(values);
    }

    // Records compare array components by identity; compare the contents instead.
    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        int n = length();
        String shown = n <= 8 ? Arrays.deepToString(new Object[] {values}) : "[" + n + " elements]";
        return "GgufArray[" + elementType + ", " + shown + "]";
    }
}
