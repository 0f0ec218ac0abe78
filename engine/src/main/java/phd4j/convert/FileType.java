package phd4j.convert;

import phd4j.simd.GgmlType;

/**
 * llama.cpp's {@code general.file_type} values ({@code enum llama_ftype}) for the types phd4j
 * writes: the type of most 2-D weights, which llama.cpp shows as the model's type.
 */
public final class FileType {
    private FileType() {}

    /** The llama_ftype number for a file whose weight matrices are mostly {@code type}. */
    public static int of(GgmlType type) {
        return switch (type) {
            case F32 -> 0;   // LLAMA_FTYPE_ALL_F32
            case F16 -> 1;   // LLAMA_FTYPE_MOSTLY_F16
            case Q4_0 -> 2;  // LLAMA_FTYPE_MOSTLY_Q4_0
            case Q4_1 -> 3;  // LLAMA_FTYPE_MOSTLY_Q4_1
            case Q8_0 -> 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
            case Q5_0 -> 8;  // LLAMA_FTYPE_MOSTLY_Q5_0
            case Q5_1 -> 9;  // LLAMA_FTYPE_MOSTLY_Q5_1
            case Q4_K -> 15; // LLAMA_FTYPE_MOSTLY_Q4_K_M: llama-quantize's "Q4_K" (with or without --pure)
            case Q5_K -> 17; // LLAMA_FTYPE_MOSTLY_Q5_K_M: likewise "Q5_K"
            case Q6_K -> 18; // LLAMA_FTYPE_MOSTLY_Q6_K
            case BF16 -> 32; // LLAMA_FTYPE_MOSTLY_BF16
            default -> throw new IllegalArgumentException("no file type for " + type);
        };
    }
}
