package phd4j.train;

import phd4j.phd.PhdConfig;

/**
 * The paper's rearranged layout of one training sequence of T positions with K copies each:
 * the T originals first (row p = copy 1 of position p), then the T*(K-1) hidden copies in
 * position-major order (row T + p*(K-1) + (s-2) = copy s of position p). Every row uses the
 * embedding of its token and RoPE position p.
 *
 * <p>In this order the keys a query may see (DESIGN.md section 1) are two contiguous ranges, so
 * attention loops over them instead of a dense KT x KT mask and costs O(K T (T + W + K)), not O(K^2 T^2):
 * <ul>
 *   <li>originals 0 .. p (rule 1, and rule 2's (p, 1)), for every copy s;</li>
 *   <li>for s >= 2, hidden indices [lo, p(K-1) + s - 1): rule 2's copies 2..s of position p, and
 *       for SWA the W hidden tokens before them (rule 3: lo = max(0, p(K-1) - W)), for CSWA also
 *       not before the chunk's first position (rule 4: lo >= floor(p/C) C (K-1)); for PHD lo = p(K-1).</li>
 * </ul>
 * {@code PhdRowsTest} checks these ranges against {@link PhdConfig#visible} for every pair.
 */
public final class PhdRows {
    final int t, k;
    final PhdConfig phd;
    /** Rows per sequence: K*T. */
    final int rows;
    /** The most keys any query sees: T originals + hidden ones; the stride of stored attention rows. */
    final int maxKeys;

    PhdRows(PhdConfig phd, int t) {
        this.phd = phd;
        this.t = t;
        this.k = phd.k();
        this.rows = k * t;
        int maxHidden = k == 1 ? 0 : (k - 1) + (phd.variant() == PhdConfig.Variant.PHD ? 0 : phd.window());
        this.maxKeys = t + maxHidden;
    }

    /** Row of copy s (1..K) of position p. */
    int row(int p, int s) {
        return s == 1 ? p : t + p * (k - 1) + (s - 2);
    }

    /** Position of a row. */
    int position(int row) {
        return row < t ? row : (row - t) / (k - 1);
    }

    /** Copy (1..K) of a row. */
    int copy(int row) {
        return row < t ? 1 : (row - t) % (k - 1) + 2;
    }

    /** First visible hidden index (0-based among hidden tokens) for query (p, s >= 2). */
    int hiddenLo(int p) {
        int own = p * (k - 1);
        return switch (phd.variant()) {
            case PHD -> own;
            case SWA -> Math.max(0, own - phd.window());
            case CSWA -> Math.max(Math.max(0, own - phd.window()), p / phd.chunk() * phd.chunk() * (k - 1));
        };
    }

    /** One past the last visible hidden index for query (p, s): none for originals. */
    int hiddenHi(int p, int s) {
        return s == 1 ? hiddenLo(p) : p * (k - 1) + s - 1;
    }

    /** Whether query row qr may attend to key row kr (the ranges above; for tests). */
    boolean sees(int qr, int kr) {
        int p = position(qr), s = copy(qr);
        if (kr < t) return kr <= p;
        int h = kr - t;
        return s >= 2 && h >= hiddenLo(p) && h < hiddenHi(p, s);
    }
}
