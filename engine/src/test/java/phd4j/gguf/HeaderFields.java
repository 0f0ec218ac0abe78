package phd4j.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the fields of a well-formed GGUF header with their byte ranges, so tests can corrupt each
 * one. Trusts its input (it is only run on files GgufFile has already opened).
 */
final class HeaderFields {
    /**
     * One field. {@code structural}: a count, length, type id, n_dims, dim or offset, where all
     * 0xFF bytes can never be valid; other fields (names, values) may stay valid when changed.
     */
    record Field(String name, int offset, int size, boolean structural) {}

    private final ByteBuffer b;
    private final List<Field> fields = new ArrayList<>();

    private HeaderFields(byte[] bytes) {
        b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static List<Field> of(byte[] bytes) {
        HeaderFields h = new HeaderFields(bytes);
        h.walk();
        return h.fields;
    }

    private void walk() {
        take("magic", 4, true);
        take("version", 4, true);
        long tensors = b.getLong(take("tensor count", 8, true));
        long kvs = b.getLong(take("kv count", 8, true));
        for (int i = 0; i < kvs; i++) {
            String key = "kv #" + i;
            string(key + " key");
            int type = b.getInt(take(key + " type", 4, true));
            value(key, type);
        }
        for (int i = 0; i < tensors; i++) {
            String t = "tensor #" + i;
            string(t + " name");
            int nDims = b.getInt(take(t + " n_dims", 4, true));
            for (int d = 0; d < nDims; d++) take(t + " dims[" + d + "]", 8, true);
            take(t + " type", 4, true);
            take(t + " offset", 8, true);
        }
    }

    private void value(String field, int type) {
        GgufValueType t = GgufValueType.fromId(type);
        switch (t) {
            case STRING -> string(field + " value");
            case ARRAY -> {
                int et = b.getInt(take(field + " element type", 4, true));
                long n = b.getLong(take(field + " length", 8, true));
                GgufValueType elementType = GgufValueType.fromId(et);
                if (elementType.isFixedSize()) {
                    if (n > 0) take(field + " elements", (int) n * elementType.minBytes(), false);
                } else {
                    for (int i = 0; i < n; i++) value(field + " [" + i + "]", et);
                }
            }
            default -> take(field + " value", t.minBytes(), false);
        }
    }

    private void string(String field) {
        long n = b.getLong(take(field + " length", 8, true));
        if (n > 0) take(field + " bytes", (int) n, false);
    }

    private int take(String name, int size, boolean structural) {
        int at = b.position();
        fields.add(new Field(name, at, size, structural));
        b.position(at + size);
        return at;
    }
}
