package phd4j.gguf;

/** Constants and small helpers of the GGUF layout shared by the reader and the writer. */
final class GgufFormat {
    private GgufFormat() {}

    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Nested arrays deeper than this are refused: no real file nests at all, and it bounds recursion. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Largest Java array the parser will allocate for one metadata array. */
    static final int MAX_JAVA_ARRAY = Integer.MAX_VALUE - 16;

    /** {@code x} rounded up to a multiple of {@code alignment} (a power of two); {@code x} must not overflow. */
    static long alignUp(long x, long alignment) {
        return Math.addExact(x, alignment - 1) & -alignment;
    }

    static boolean isValidAlignment(long alignment) {
        return alignment > 0 && (alignment & (alignment - 1)) == 0;
    }
}
