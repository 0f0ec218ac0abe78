package phd4j.model;

/**
 * Keys and values of every processed token, per layer, position-major:
 * keys[layer][pos * kvDim + kvHead * headDim + i]. Allocated once at the session's context
 * length and never grown.
 */
public final class KvCache {
    final float[][] keys;   // [layers][capacity * kvDim]
    final float[][] values; // [layers][capacity * kvDim]
    private final int capacity;
    private final int kvDim;

    public KvCache(int layers, int capacity, int kvDim) {
        long perLayer = (long) capacity * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("context " + capacity + " x kv width " + kvDim + " is too large for one cache array");
        }
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.keys = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes held by the cache: 2 (K and V) x layers x capacity x kvDim x 4. */
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
