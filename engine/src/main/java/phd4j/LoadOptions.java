package phd4j;

import phd4j.phd.PhdConfig;

/**
 * How {@link Model#load(java.nio.file.Path, LoadOptions)} opens a model.
 *
 * @param threads worker threads of the model's pool (>= 1)
 * @param phd     PHD settings imposed instead of the file's {@code phd.*} keys, or null for the file's
 * @param repack  whether the quantized matrices of Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K and Q6_K get a second,
 *                interleaved copy in memory for the decode path's integer kernels ({@link phd4j.simd.Interleaved}):
 *                faster decoding for 1.06x (Q4_K), 1.11x (Q4_0), 1.2x (Q4_1), 1.52x (Q6_K), 1.82x (Q5_0) to 2x (Q5_K) their bytes, reported by
 *                {@link Model#repackedBytes()}; the mapped file stays the source of everything else
 */
public record LoadOptions(int threads, PhdConfig phd, boolean repack) {
    public LoadOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, is " + threads);
    }

    /** One thread per available core, the file's PHD settings, repacked. */
    public static LoadOptions defaults() {
        return new LoadOptions(Runtime.getRuntime().availableProcessors(), null, true);
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(n, phd, repack);
    }

    public LoadOptions withPhd(PhdConfig p) {
        return new LoadOptions(threads, p, repack);
    }

    public LoadOptions withRepack(boolean r) {
        return new LoadOptions(threads, phd, r);
    }
}
