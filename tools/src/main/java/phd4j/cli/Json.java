package phd4j.cli;

/** The little JSON writing the commands need: escaped strings and float arrays. */
final class Json {
    private Json() {}

    static String string(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

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
