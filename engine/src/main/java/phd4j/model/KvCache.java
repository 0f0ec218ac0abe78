package phd4j.model;

import phd4j.phd.HiddenWindow;
import phd4j.phd.OriginalKvRing;
import phd4j.phd.PhdConfig;

/**
 * What one sequence keeps between forward passes: its original-token ring and, for PHD-SWA/CSWA,
 * its hidden-token window. Kept apart from {@link Forward} (weights, per-step activation buffers)
 * so that one pass can advance several sequences at once, each attending to its own cache.
 */
public final class KvCache {
    final OriginalKvRing ring;
    final HiddenWindow window; // null unless the variant keeps hidden tokens
    long rowsProcessed;

    public KvCache(LlamaConfig c, PhdConfig phd, int capacity, int keep) {
        ModelShape s = c.shape();
        this.ring = new OriginalKvRing(s.layers(), capacity, keep, s.kvDim());
        this.window = phd.keepsHiddenTokens() ? new HiddenWindow(s.layers(), phd.window(), s.kvDim()) : null;
    }

    /**
     * The bytes a cache of this capacity will hold ({@link #bytes()}), known before allocating it:
     * callers check it against the memory there is rather than fail inside the allocation.
     */
    public static long bytesFor(LlamaConfig c, PhdConfig phd, int capacity) {
        long perEntry = 2L * c.shape().layers() * c.shape().kvDim() * Float.BYTES; // K and V of every layer
        return perEntry * ((long) capacity + (phd.keepsHiddenTokens() ? phd.window() : 0));
    }

    public OriginalKvRing ring() {
        return ring;
    }

    /** KV bytes kept between steps: the original ring plus the hidden window, if any. */
    public long bytes() {
        return ring.bytes() + (window != null ? window.bytes() : 0);
    }

    /** Token-rows of this sequence that have gone through the matmuls (at least of the first layer). */
    public long rowsProcessed() {
        return rowsProcessed;
    }

    /** Forgets every cached token (the ring's entries are simply overwritten later). */
    public void clear() {
        if (window != null) window.clear();
    }
}
