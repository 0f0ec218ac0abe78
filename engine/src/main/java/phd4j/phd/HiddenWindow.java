package phd4j.phd;

import java.lang.foreign.MemorySegment;

/**
 * Keys and values of the most recent hidden tokens (copies 2..K), for PHD-SWA and PHD-CSWA: a
 * FIFO of W entries per layer in position-major order, so it holds exactly the W most recent
 * hidden tokens that rule 3 can reach. For CSWA it is emptied when a new chunk starts (rule 4
 * would hide the older entries anyway). Plain PHD keeps no hidden KV at all.
 */
public final class HiddenWindow {
    private final MemorySegment[] keys;   // [layers] of W * kvDim floats, off-heap like the ring's
    private final MemorySegment[] values; // [layers] of W * kvDim floats
    private final int[] positions;  // [W] position of each entry, by slot
    private final int[] copies;     // [W] copy (2..K) of each entry, by slot
    private final int capacity;
    private final int kvDim;
    private int start;              // slot of the oldest entry
    private int count;

    public HiddenWindow(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.keys = OriginalKvRing.offHeapLayers(layers, (long) capacity * kvDim);
        this.values = OriginalKvRing.offHeapLayers(layers, (long) capacity * kvDim);
        this.positions = new int[capacity];
        this.copies = new int[capacity];
    }

    /** Entries held, oldest first: entry i is in slot {@link #slot}(i). */
    public int count() {
        return count;
    }

    public int slot(int i) {
        return (start + i) % capacity;
    }

    public int position(int slot) {
        return positions[slot];
    }

    public int copy(int slot) {
        return copies[slot];
    }

    /** Layer {@code layer}'s keys: floats, entry at slot s from float {@link #offset}(s). */
    public MemorySegment keys(int layer) {
        return keys[layer];
    }

    public MemorySegment values(int layer) {
        return values[layer];
    }

    public int offset(int slot) {
        return slot * kvDim;
    }

    /**
     * The slot the j-th of {@code pushed} new hidden tokens will take, or -1 if it would be pushed
     * out again by the later ones (only the last W survive). Call before {@link #commit}.
     */
    public int plannedSlot(int j, int pushed) {
        int dropped = pushed - capacity;
        if (j < dropped) return -1;
        return (start + count + j) % capacity;
    }

    /**
     * Records the positions and copies (pos[from + j], copy[from + j], j < pushed) of new hidden
     * tokens whose vectors were written to their {@link #plannedSlot}s.
     */
    public void commit(int pushed, int[] pos, int[] copy, int from) {
        for (int j = 0; j < pushed; j++) {
            int slot = plannedSlot(j, pushed);
            if (slot < 0) continue;
            positions[slot] = pos[from + j];
            copies[slot] = copy[from + j];
        }
        int total = count + pushed;
        if (total > capacity) {
            start = (start + total - capacity) % capacity;
            count = capacity;
        } else {
            count = total;
        }
    }

    /** Forgets every entry of a position before {@code firstPosition} (a CSWA chunk start). */
    public void dropBefore(int firstPosition) {
        while (count > 0 && positions[start] < firstPosition) {
            start = (start + 1) % capacity;
            count--;
        }
    }

    public void clear() {
        start = 0;
        count = 0;
    }

    /** Bytes held: 2 (K and V) x layers x W x kvDim x 4. */
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
