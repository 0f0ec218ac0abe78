package phd4j.tokenizer;

/**
 * Token attributes as llama.cpp keeps them: a bit set per token, first derived from the GGUF
 * {@code tokenizer.ggml.token_type} array and then adjusted by text-based rules (see {@link Vocab}).
 * Bits rather than one enum because those rules OR flags onto a type (e.g. NORMAL becomes
 * NORMAL|CONTROL), and rendering checks the bits in a fixed order.
 */
final class TokenAttr {
    private TokenAttr() {}

    static final int UNDEFINED = 0;
    static final int UNKNOWN = 1;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;

    /** GGUF token_type values: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
    static int fromGgufType(int type) {
        return switch (type) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
