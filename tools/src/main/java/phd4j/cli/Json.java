package phd4j.cli;

/** Float arrays as JSON; strings go through {@link phd4j.json.JsonText}. */
final class Json {
    private Json() {}

    /** Appends [v0,v1,...]; finite values only (logits are finite), in Java's shortest round-trip form. */
    static void floats(StringBuilder b, float[] v) {
        b.append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) b.append(',');
            if (!Float.isFinite(v[i])) throw new IllegalStateException("non-finite value " + v[i] + " at index " + i);
            b.append(v[i]);
        }
        b.append(']');
    }
}
