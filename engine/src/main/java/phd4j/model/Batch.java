package phd4j.model;

import phd4j.phd.HiddenWindow;
import phd4j.phd.OriginalKvRing;
import phd4j.phd.PhdConfig;

/**
 * The rows of one forward pass and what the PHD mask lets each see. Row i is copy rowCopy[i]
 * (1 the original, 2..K hidden) of position rowPos[i] of sequence rowSeg[i]; sequence s has the
 * contiguous rows segBase[s] .. segBase[s] + segRows[s) and keeps its keys and values in
 * segCache[s]. The mask is the same in every layer and head, so it is computed once per pass,
 * and again when hidden rows are dropped; rows never see those of another sequence.
 */
final class Batch {
    private final PhdConfig phd;

    // Rows.
    final int[] rowPos, rowCopy;
    final int[] rowSeg;                        // the sequence of each row
    final int[] hiddenPos, hiddenCopy;         // the hidden rows as the batch came, in order: what the windows take
    final int[] hiddenOrdinal;                 // row i's index among its sequence's hidden rows (hidden rows only)
    final int[] fullRows;                      // rows the current layer computes in full, ascending
    final int[] logitRow;                      // the rows whose logits are wanted
    int n, nLogits;

    // Sequences.
    final KvCache[] segCache;
    final int[] segBase, segRows;
    final int[] segMaskOff, segWindowMaskOff;   // where its batchMask and windowMask lie
    final int[] segHiddenBase, segHiddenTotal;  // its hidden rows in hiddenPos/hiddenCopy
    private final int[] segTail;                // its first logit row (segBase + segRows if none)
    int nSeg;

    // The mask. Per sequence s from segMaskOff[s] / segWindowMaskOff[s], indices relative to its first row.
    final int[] fromRow;          // first cached non-sink original row i sees
    final boolean[] batchMask;    // [rows][rows] may row i see row j of its sequence
    final boolean[] windowMask;   // [rows][window] may row i see hidden-window entry e of its sequence

    /** Moves a row's per-row state (activations, RoPE angles) from one batch row to another. */
    interface RowMover {
        void move(int from, int to);
    }

    Batch(PhdConfig phd, int maxBatch) {
        this.phd = phd;
        rowPos = new int[maxBatch];
        rowCopy = new int[maxBatch];
        rowSeg = new int[maxBatch];
        hiddenPos = new int[maxBatch];
        hiddenCopy = new int[maxBatch];
        hiddenOrdinal = new int[maxBatch];
        fullRows = new int[maxBatch];
        logitRow = new int[maxBatch];
        segCache = new KvCache[maxBatch];
        segBase = new int[maxBatch];
        segRows = new int[maxBatch];
        segMaskOff = new int[maxBatch];
        segWindowMaskOff = new int[maxBatch];
        segHiddenBase = new int[maxBatch];
        segHiddenTotal = new int[maxBatch];
        segTail = new int[maxBatch];
        fromRow = new int[maxBatch];
        batchMask = new boolean[maxBatch * maxBatch];
        windowMask = new boolean[phd.keepsHiddenTokens() ? maxBatch * phd.window() : 0];
    }

    /**
     * Takes the rows of a pass (checked by the caller: at least one row per sequence, caches
     * distinct) and begins it in the caches: their row counts, and for CSWA the window emptied
     * at a new chunk. Computes the mask.
     */
    void set(KvCache[] caches, int[] rows, int nSeq, int[] positions, int[] copies, int[] logitRows, int nLogits) {
        this.nSeg = nSeq;
        this.nLogits = nLogits;
        int i = 0;
        for (int s = 0, hidden = 0; s < nSeq; s++) {
            segCache[s] = caches[s];
            segBase[s] = i;
            segRows[s] = rows[s];
            segHiddenBase[s] = hidden;
            segTail[s] = i + rows[s];
            for (int end = i + rows[s]; i < end; i++) {
                rowSeg[i] = s;
                rowPos[i] = positions[i];
                rowCopy[i] = copies[i];
                if (copies[i] > 1) {
                    hiddenPos[hidden] = positions[i];
                    hiddenCopy[hidden] = copies[i];
                    hiddenOrdinal[i] = hidden++ - segHiddenBase[s];
                }
            }
            segHiddenTotal[s] = hidden - segHiddenBase[s];
            caches[s].rowsProcessed += rows[s];
            HiddenWindow win = caches[s].window;
            if (win != null && phd.variant() == PhdConfig.Variant.CSWA) {
                win.dropBefore(positions[segBase[s]] / phd.chunk() * phd.chunk()); // a new chunk empties the window
            }
        }
        this.n = i;
        System.arraycopy(logitRows, 0, logitRow, 0, nLogits);
        computeMask();
    }

    /** The StreamingLLM position of row i: its position less the originals its ring has evicted before it. */
    int sinkPosition(int i) {
        return rowPos[i] - segCache[rowSeg[i]].ring.evicted(rowPos[i]);
    }

    /**
     * The rows layer l of {@code layers} computes in full, into fullRows; returns their count. The
     * others get only their keys and values (the caches, or rows in full, need them). After the
     * last layer only the logit rows are read: there attention, Wo and the FFN run from each
     * sequence's first logit row on (none at all for a sequence without logits), as llama.cpp
     * does. Below it, every original, and the hidden rows the next layer keeps.
     */
    int chooseFullRows(int l, int layers, int[] hiddenFrom) {
        int m = 0;
        if (l == layers - 1) {
            for (int j = 0; j < nLogits; j++) {
                int s = rowSeg[logitRow[j]];
                segTail[s] = Math.min(segTail[s], logitRow[j]);
            }
            for (int i = 0; i < n; i++) if (i >= segTail[rowSeg[i]]) fullRows[m++] = i;
        } else {
            for (int i = 0; i < n; i++) {
                if (rowCopy[i] == 1 || hiddenFrom == null || rowPos[i] >= hiddenFrom[l + 1]) fullRows[m++] = i;
            }
        }
        return m;
    }

    /**
     * Removes the hidden rows of positions before {@code from} from a batch of one sequence: no
     * later layer reads them. Their window slots (see {@link HiddenWindow#plannedSlot}) stay
     * planned, so the window takes the same entries as if none had been dropped; the entries of
     * the layers that no longer compute them are never read (PhdConfig.hiddenCone).
     */
    void dropHiddenRowsBefore(int from, RowMover mover) {
        for (int j = 0; j < nLogits; j++) {
            int i = logitRow[j];
            if (rowCopy[i] > 1 && rowPos[i] < from) {
                throw new IllegalArgumentException("hiddenFrom drops logit row " + i + " (position " + rowPos[i] + ", copy " + rowCopy[i] + ")");
            }
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (rowCopy[i] > 1 && rowPos[i] < from) continue;
            if (m < i) {
                rowPos[m] = rowPos[i];
                rowCopy[m] = rowCopy[i];
                hiddenOrdinal[m] = hiddenOrdinal[i];
                mover.move(i, m);
                for (int j = 0; j < nLogits; j++) {
                    if (logitRow[j] == i) logitRow[j] = m;
                }
            }
            m++;
        }
        if (m == n) return;
        n = m;
        segRows[0] = m;
        computeMask();
    }

    /** After the last layer: each sequence's window takes its hidden rows (their keys and values are stored). */
    void commitWindows() {
        for (int s = 0; s < nSeg; s++) {
            HiddenWindow win = segCache[s].window;
            if (win != null) win.commit(segHiddenTotal[s], hiddenPos, hiddenCopy, segHiddenBase[s]);
        }
    }

    /** The PHD mask and the ring's visibility for every row, sequence by sequence. */
    private void computeMask() {
        for (int q = 0, mo = 0, wo = 0; q < nSeg; q++) {
            segMaskOff[q] = mo;
            segWindowMaskOff[q] = wo;
            OriginalKvRing ring = segCache[q].ring;
            HiddenWindow window = segCache[q].window;
            int base = segBase[q], ns = segRows[q], sinks = Math.min(ring.keep(), rowPos[base]);
            int wn = window != null ? window.count() : 0;
            for (int li = 0; li < ns; li++) {
                int i = base + li, p = rowPos[i], s = rowCopy[i];
                fromRow[i] = Math.max(sinks, ring.windowStart(p));
                for (int lj = 0; lj < ns; lj++) batchMask[mo + li * ns + lj] = batchVisible(ring, i, base + lj);
                for (int e = 0; e < wn; e++) {
                    int slot = window.slot(e);
                    windowMask[wo + li * wn + e] = phd.visible(p, s, window.position(slot), window.copy(slot));
                }
            }
            mo += ns * ns;
            wo += ns * wn;
        }
    }

    /** May row i see row j of the same sequence: the PHD mask, and for originals the ring's eviction. */
    private boolean batchVisible(OriginalKvRing ring, int i, int j) {
        int p = rowPos[i], q = rowPos[j];
        if (!phd.visible(p, rowCopy[i], q, rowCopy[j])) return false;
        return rowCopy[j] != 1 || ring.visible(q, p);
    }
}
