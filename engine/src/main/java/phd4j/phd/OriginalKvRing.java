package phd4j.phd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Keys and values of original tokens (copy 1), per layer, in an off-heap ring of fixed capacity
 * allocated once and never grown. The original stream of a PHD model is a vanilla causal LM, so this is
 * all the KV memory plain PHD needs.
 *
 * <p>Eviction: once more than {@code capacity} originals have been seen, the first {@code keep}
 * ("sinks") stay and the oldest of the others is overwritten. Position a lives in slot a when
 * a < keep, else in slot keep + (a - keep) mod (capacity - keep).
 *
 * <p>RoPE: keys are stored rotated at their absolute position. Attention uses StreamingLLM
 * positions: when e originals have been evicted, sinks sit at 0..keep-1 and the window and the
 * query are shifted down by e. RoPE scores depend only on position differences, so the window's
 * scores are those of the stored keys with the query at its absolute position; only the sinks
 * need the query rotated at p - e ({@link #evicted}), which the forward pass does.
 */
public final class OriginalKvRing {
    private final MemorySegment[] keys;   // [layers] of capacity * kvDim floats, slot-major, off-heap
    private final MemorySegment[] values; // [layers] of capacity * kvDim floats
    private final int capacity;
    private final int keep;
    private final int kvDim;

    public OriginalKvRing(int layers, int capacity, int keep, int kvDim) {
        if (capacity < 1) throw new IllegalArgumentException("context must be >= 1, got " + capacity);
        if (keep < 0 || keep >= capacity) {
            throw new IllegalArgumentException("sink entries (--keep) must be in 0.." + (capacity - 1) + " for a context of " + capacity + ", got " + keep);
        }
        long perLayer = (long) capacity * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) { // offsets are int float indices
            throw new IllegalArgumentException("context " + capacity + " x kv width " + kvDim + " is too large for one cache layer");
        }
        this.capacity = capacity;
        this.keep = keep;
        this.kvDim = kvDim;
        this.keys = offHeapLayers(layers, perLayer);
        this.values = offHeapLayers(layers, perLayer);
    }

    /**
     * One zeroed off-heap array of {@code floats} floats per layer, 64-byte aligned: allocated
     * once, released when no longer reachable. The hidden window's keys and values live the same
     * way, so that attention reads one kind of segment (see AttentionOps).
     */
    static MemorySegment[] offHeapLayers(int layers, long floats) {
        Arena arena = Arena.ofAuto();
        MemorySegment[] perLayer = new MemorySegment[layers];
        for (int l = 0; l < layers; l++) perLayer[l] = arena.allocate(floats * Float.BYTES, 64);
        return perLayer;
    }

    public int capacity() {
        return capacity;
    }

    public int keep() {
        return keep;
    }

    /** A layer's keys: capacity x kvDim floats, position a at float index {@link #offset}(a). */
    public MemorySegment keys(int layer) {
        return keys[layer];
    }

    public MemorySegment values(int layer) {
        return values[layer];
    }

    /** Float offset of position a's vector in a layer's keys or values. */
    public int offset(int a) {
        int slot = a < keep ? a : keep + (a - keep) % (capacity - keep);
        return slot * kvDim;
    }

    /** Originals evicted by the time the token at position p attends (it counts itself). */
    public int evicted(int p) {
        return Math.max(0, p + 1 - capacity);
    }

    /** The oldest non-sink original that the token at position p still sees. */
    public int windowStart(int p) {
        return Math.max(keep, p + 1 - (capacity - keep));
    }

    /** Whether the original at position a is visible (not evicted) to the token at position p >= a. */
    public boolean visible(int a, int p) {
        return a < keep || a >= windowStart(p);
    }

    /** Bytes held: 2 (K and V) x layers x capacity x kvDim x 4. */
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
