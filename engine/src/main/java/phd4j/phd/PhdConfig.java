package phd4j.phd;

import java.util.Map;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufValue;

/**
 * The PHD settings of a model (DESIGN.md section 1): every token is repeated {@code k} times;
 * copy 1 is the original, copies 2..k are hidden decoding tokens; the next-token logits come from
 * copy k. {@code window} (W) and {@code chunk} (C) only matter for the SWA and CSWA variants.
 * k = 1 is exactly a vanilla model.
 */
public record PhdConfig(int k, Variant variant, int window, int chunk) {

    public enum Variant {
        PHD("phd"), SWA("phd-swa"), CSWA("phd-cswa");

        /** The value of the {@code phd.variant} key. */
        public final String key;

        Variant(String key) {
            this.key = key;
        }

        /** The variant with this key, or null. */
        public static Variant fromKey(String key) {
            for (Variant v : values()) if (v.key.equals(key)) return v;
            return null;
        }
    }

    public static final PhdConfig VANILLA = new PhdConfig(1, Variant.PHD, 0, 0);

    public PhdConfig {
        if (k < 1) throw new IllegalArgumentException("PHD repeat K must be >= 1, got " + k);
        if (variant == null) throw new IllegalArgumentException("PHD variant is required");
        if (variant != Variant.PHD && window < 1) throw new IllegalArgumentException(variant.key + " needs a window W >= 1, got " + window);
        if (variant == Variant.CSWA && chunk < 1) throw new IllegalArgumentException("phd-cswa needs a chunk C >= 1, got " + chunk);
        if (window < 0 || chunk < 0) throw new IllegalArgumentException("window and chunk must be >= 0");
    }

    /** Reads {@code phd.repeat}, {@code phd.variant}, {@code phd.window}, {@code phd.chunk}; absent repeat = vanilla. */
    public static PhdConfig fromGguf(GgufFile f) {
        if (!f.has("phd.repeat")) return VANILLA;
        long k = f.getLong("phd.repeat");
        if (k < 1 || k > 4096) throw new GgufException(f.path() + ": phd.repeat: K must be in 1..4096, is " + k);
        String name = f.findString("phd.variant").orElse(Variant.PHD.key);
        Variant v = Variant.fromKey(name);
        if (v == null) throw new GgufException(f.path() + ": phd.variant: unknown variant '" + name + "' (phd, phd-swa, phd-cswa)");
        long w = f.findLong("phd.window").orElse(0);
        long c = f.findLong("phd.chunk").orElse(0);
        if (v != Variant.PHD && (w < 1 || w > 1 << 20)) throw new GgufException(f.path() + ": phd.window: " + v.key + " needs W in 1..2^20, is " + w);
        if (v == Variant.CSWA && (c < 1 || c > 1 << 24)) throw new GgufException(f.path() + ": phd.chunk: phd-cswa needs C in 1..2^24, is " + c);
        return new PhdConfig((int) k, v, v == Variant.PHD ? 0 : (int) w, v == Variant.CSWA ? (int) c : 0);
    }

    /** Adds this configuration's {@code phd.*} keys (those {@link #fromGguf} reads) to GGUF metadata. */
    public void putKeys(Map<String, GgufValue> metadata) {
        metadata.put("phd.repeat", GgufValue.ofUInt32(k));
        metadata.put("phd.variant", GgufValue.ofString(variant.key));
        if (variant != Variant.PHD) metadata.put("phd.window", GgufValue.ofUInt32(window));
        if (variant == Variant.CSWA) metadata.put("phd.chunk", GgufValue.ofUInt32(chunk));
    }

    /** The paper's name: vanilla, PHD-3, PHD-SWA-3-16, PHD-CSWA-3-16-32. */
    public String name() {
        if (k == 1) return "vanilla";
        return switch (variant) {
            case PHD -> "PHD-" + k;
            case SWA -> "PHD-SWA-" + k + "-" + window;
            case CSWA -> "PHD-CSWA-" + k + "-" + window + "-" + chunk;
        };
    }

    /** Whether hidden tokens' keys and values are kept between steps (SWA, CSWA with K > 1). */
    public boolean keepsHiddenTokens() {
        return k > 1 && variant != Variant.PHD;
    }

    /**
     * DESIGN.md's mask: may query (p, s) attend to key (q, t)? Positions from 0, copies from 1.
     * Ring eviction is not part of this rule; the caches apply it on top.
     */
    public boolean visible(int p, int s, int q, int t) {
        if (t == 1 && q < p) return true;                         // rule 1: an earlier original
        if (q == p) return t <= s;                                // rule 2: same position, causal over copies
        if (q > p || s == 1 || variant == Variant.PHD) return false; // originals never see hidden tokens
        // rules 3/4: a hidden token among the W most recent before position p (position-major order)
        long hidden = (long) q * (k - 1) + (t - 2);
        if (hidden < (long) p * (k - 1) - window) return false;
        return variant == Variant.SWA || q / chunk == p / chunk;  // rule 4: same chunk
    }

    /**
     * Which hidden copies a prompt evaluation must compute, layer by layer, for the logits after
     * its last position and for the decode steps that follow: element l is the first position
     * whose hidden copies layer l needs (their keys and values; copies from element l + 1's
     * position on go through the whole layer, because layer l + 1 needs them). Chunks count from
     * position 0 of the sequence, so {@code start} (where the prompt begins) matters.
     *
     * <p>The cone of the last position's copy K: a hidden copy at p sees the hidden tokens of up
     * to R = ceil(W / (K - 1)) earlier positions (rule 3; rule 4 stops it at p's chunk start), so
     * each layer down needs R more positions than the layer above. That includes the window the
     * next position will read at every layer (the last R positions, for CSWA if still in its
     * chunk): the top layer already needs those. PHD: the last position only. CSWA: at most the
     * last chunk (DESIGN.md section 2). SWA: the last R x layers + 1 positions, where DESIGN.md's
     * table says all; the logits and the window are the same, the rest would not be read.
     */
    public int[] hiddenCone(int start, int length, int layers) {
        int[] from = new int[layers];
        int reach = reach();
        int full = start + length - 1; // the first position layer l computes in full: at the top, the logits' one
        for (int l = layers - 1; l >= 0; l--) {
            int seen = Math.max(full - reach, variant == Variant.CSWA ? full / chunk * chunk : 0);
            from[l] = Math.max(start, seen);
            full = from[l];
        }
        return from;
    }

    /** R: how many earlier positions' hidden tokens a hidden copy can see (rule 3), 0 for PHD and K = 1. */
    private int reach() {
        return k == 1 || variant == Variant.PHD ? 0 : (window + k - 2) / (k - 1);
    }

    /**
     * The most positions whose hidden copies a prompt evaluation through {@link #hiddenCone}
     * computes, however long the prompt: 0 for K = 1, 1 for PHD, R x layers + 1 for SWA, and no
     * more than C for CSWA.
     */
    public int maxPositionsWithCopies(int layers) {
        if (k == 1) return 0;
        long cone = (long) reach() * layers + 1;
        if (variant == Variant.CSWA) cone = Math.min(cone, chunk);
        return (int) Math.min(cone, Integer.MAX_VALUE);
    }
}
