package phd4j.synth;

import java.util.Locale;

/**
 * The architectures {@code phd synth} writes: llama, and the others phd4j runs, each with the
 * tensors and metadata llama.cpp expects of it, so both engines can be compared on one file.
 */
public enum Arch {
    LLAMA, QWEN2, QWEN3, PHI3, GEMMA2, GEMMA3,
    /** llama with Llama 3.1's rope_freqs.weight, the divisors of the RoPE frequencies. */
    LLAMA31;

    /** For help texts (a constant, so an annotation may use it). */
    public static final String NAMES = "llama, llama3.1, qwen2, qwen3, phi3, gemma2, gemma3";

    /** The name {@code phd synth --arch} takes. */
    public String key() {
        return this == LLAMA31 ? "llama3.1" : name().toLowerCase(Locale.ROOT);
    }

    /** The general.architecture value and metadata prefix. */
    public String architecture() {
        return this == LLAMA31 ? "llama" : key();
    }

    /** The architecture of that name, or null. */
    public static Arch named(String name) {
        for (Arch a : values()) if (a.key().equals(name.toLowerCase(Locale.ROOT))) return a;
        return null;
    }

    boolean gemma() {
        return this == GEMMA2 || this == GEMMA3;
    }

    boolean qkNorm() {
        return this == QWEN3 || this == GEMMA3;
    }
}
