package phd4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import phd4j.phd.HiddenWindow;
import phd4j.phd.OriginalKvRing;
import phd4j.simd.AttentionOps;
import phd4j.simd.Ops;
import phd4j.simd.WorkerPool;

/**
 * One layer's attention over a {@link Batch}, from its rotated queries and keys to the heads'
 * outputs, and the batch's keys and values into each sequence's cache. The work is cut into
 * tasks of one sequence, one KV head and up to {@link #QUERY_ROWS} query rows (row x query
 * head): each task reads the head's keys and values once for all of its rows.
 *
 * <p>The activations are Forward's, [maxBatch][width] row-major: q and qSink [qDim] (the queries
 * rotated at their position and at their StreamingLLM position, for sink keys), k and v [kvDim],
 * att [qDim] the output.
 */
final class Attention {
    /** Attention work (rows x keys x width) below which handing tasks to other threads costs more than it saves. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;
    /** Query rows (row x query head) one task takes: its keys are read once for all of them. */
    private static final int QUERY_ROWS = 32;

    private final LlamaConfig c;
    private final ModelShape shape;
    private final Batch batch;
    private final WorkerPool pool;
    private final float[] q, qSink, k, v, att;
    private final MemorySegment kRows, vRows; // k and v of the batch, off-heap for AttentionOps
    // task t is rows fullRows[taskFirst[t] .. taskEnd[t]) of sequence taskSeg[t] (times the KV heads)
    private final int[] taskSeg, taskFirst, taskEnd;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** One thread's buffers for tasks. */
    private static final class Scratch {
        float[] scores = new float[0];
        int[] qOff = new int[0], sOff = new int[0];

        void ensure(int nq, int floats) {
            if (scores.length < floats) scores = new float[floats];
            if (qOff.length < nq) {
                qOff = new int[nq];
                sOff = new int[nq];
            }
        }
    }

    Attention(LlamaConfig c, Batch batch, WorkerPool pool, int maxBatch, float[] q, float[] qSink, float[] k, float[] v, float[] att) {
        this.c = c;
        this.shape = c.shape();
        this.batch = batch;
        this.pool = pool;
        this.q = q;
        this.qSink = qSink;
        this.k = k;
        this.v = v;
        this.att = att;
        Arena arena = Arena.ofAuto();
        this.kRows = arena.allocate((long) maxBatch * shape.kvDim() * Float.BYTES, 64);
        this.vRows = arena.allocate((long) maxBatch * shape.kvDim() * Float.BYTES, 64);
        this.taskSeg = new int[maxBatch];
        this.taskFirst = new int[maxBatch];
        this.taskEnd = new int[maxBatch];
    }

    /**
     * Layer l's attention for the first {@code full} rows of batch.fullRows, into their att rows
     * (row fullRows[r] at row fullRows[r]); then every row's keys and values into its cache.
     */
    void run(int l, int full) {
        Batch b = batch;
        int kvDim = shape.kvDim(), qDim = shape.qDim();
        MemorySegment.copy(k, 0, kRows, ValueLayout.JAVA_FLOAT, 0, b.n * kvDim);
        MemorySegment.copy(v, 0, vRows, ValueLayout.JAVA_FLOAT, 0, b.n * kvDim);
        // Tasks of all sequences in one parallelFor: a decode step of eight sequences is eight
        // small tasks per KV head, too little work to hand to the pool sequence by sequence.
        int group = shape.heads() / shape.kvHeads();
        int rowsPerTask = Math.max(1, QUERY_ROWS / group);
        int blocks = 0;
        long work = 0;
        for (int s = 0, f0 = 0; s < b.nSeg; s++) {
            int f1 = f0; // this sequence's rows in full: fullRows[f0 .. f1)
            while (f1 < full && b.fullRows[f1] < b.segBase[s] + b.segRows[s]) f1++;
            for (int f = f0; f < f1; f += rowsPerTask) {
                taskSeg[blocks] = s;
                taskFirst[blocks] = f;
                taskEnd[blocks++] = Math.min(f1, f + rowsPerTask);
            }
            work += (long) (f1 - f0) * (Math.min(b.rowPos[b.segBase[s]], b.segCache[s].ring.capacity()) + b.segRows[s]) * qDim;
            f0 = f1;
        }
        int heads = shape.kvHeads(), tasks = blocks * heads;
        if (work < MIN_PARALLEL_WORK) {
            for (int t = 0; t < tasks; t++) attend(l, taskSeg[t / heads], t % heads, taskFirst[t / heads], taskEnd[t / heads]);
        } else {
            pool.parallelFor(tasks, (t0, t1) -> {
                for (int t = t0; t < t1; t++) attend(l, taskSeg[t / heads], t % heads, taskFirst[t / heads], taskEnd[t / heads]);
            });
        }
        for (int s = 0; s < b.nSeg; s++) storeKeysAndValues(l, s);
    }

    /**
     * The query heads of KV head g for rows fullRows[first .. end), all of sequence seg. The
     * scores of a row are laid out as the keys are summed: sinks, ring window, hidden window,
     * batch; a key the mask hides from one row but not from another of the task gets -infinity,
     * so softmax makes it 0. Per row: sinks (scored with the StreamingLLM query), ring originals
     * from fromRow[i], the hidden tokens of the window the PHD mask allows, the batch rows the
     * batch mask allows.
     */
    private void attend(int l, int seg, int g, int first, int end) {
        if (first >= end) return;
        Batch b = batch;
        OriginalKvRing ring = b.segCache[seg].ring;
        HiddenWindow window = b.segCache[seg].window;
        int base = b.segBase[seg], ns = b.segRows[seg], p0 = b.rowPos[base]; // everything before p0 is cached
        int sinks = Math.min(ring.keep(), p0), maskOff = b.segMaskOff[seg], windowMaskOff = b.segWindowMaskOff[seg];
        int hd = shape.headDim(), qDim = shape.qDim(), kvDim = shape.kvDim();
        int group = shape.heads() / shape.kvHeads();
        int kvOff = g * hd;
        float scale = c.queryScale();
        MemorySegment rk = ring.keys(l), rv = ring.values(l);
        int from0 = Integer.MAX_VALUE;
        for (int t = first; t < end; t++) from0 = Math.min(from0, b.fromRow[b.fullRows[t]]);
        boolean local = c.isLocal(l);
        // a local layer never reads the ring before its window: the first row of the task has the lowest position
        if (local) from0 = Math.max(from0, b.rowPos[b.fullRows[first]] - c.slidingWindow().window() + 1);
        int nRing = Math.max(0, p0 - from0);
        int wn = window != null ? window.count() : 0;
        int lastRow = b.fullRows[end - 1];
        int jEnd = lastRow - base + 1; // the sequence's batch rows any row of the task may see: positions up to the last row's
        while (jEnd < ns && b.rowPos[base + jEnd] <= b.rowPos[lastRow]) jEnd++;
        int cRing = sinks, cWin = cRing + nRing, cBatch = cWin + wn, cols = cBatch + jEnd;

        int nq = (end - first) * group;
        Scratch sc = scratch.get();
        sc.ensure(nq, nq * cols);
        float[] sb = sc.scores;
        int[] qOff = sc.qOff, sOff = sc.sOff;
        for (int r = 0; r < nq; r++) {
            int i = b.fullRows[first + r / group], h = g * group + r % group;
            qOff[r] = i * qDim + h * hd;
            sOff[r] = r * cols;
        }

        // Scores, key runs at a fixed stride (the ring and the window wrap around).
        if (sinks > 0) AttentionOps.scores(qSink, qOff, nq, rk, ring.offset(0) + kvOff, kvDim, sinks, hd, scale, sb, sOff, 0);
        for (int a = from0; a < p0; ) {
            int len = ringRun(ring, p0, a);
            AttentionOps.scores(q, qOff, nq, rk, ring.offset(a) + kvOff, kvDim, len, hd, scale, sb, sOff, cRing + a - from0);
            a += len;
        }
        for (int e = 0; e < wn; ) {
            int len = windowRun(window, e, wn);
            AttentionOps.scores(q, qOff, nq, window.keys(l), window.offset(window.slot(e)) + kvOff, kvDim, len, hd, scale, sb, sOff, cWin + e);
            e += len;
        }
        AttentionOps.scores(q, qOff, nq, kRows, base * kvDim + kvOff, kvDim, jEnd, hd, scale, sb, sOff, cBatch);
        for (int j = 0; j < jEnd; j++) { // batch keys at sink positions pair with the StreamingLLM queries
            if (b.rowCopy[base + j] == 1 && b.rowPos[base + j] < ring.keep()) {
                for (int r = 0; r < nq; r++) sb[sOff[r] + cBatch + j] = Ops.dot(qSink, qOff[r], k, (base + j) * kvDim + kvOff, hd) * scale;
            }
        }

        // Soft-cap, mask and softmax per query row. A local layer's row at position p sees no key at p - window or before.
        for (int r = 0; r < nq; r++) {
            int i = b.fullRows[first + r / group], so = sOff[r];
            if (c.attnSoftcap() > 0) Ops.softcap(sb, so, cols, c.attnSoftcap());
            if (local) {
                int last = b.rowPos[i] - c.slidingWindow().window(); // the last position out of the window
                for (int a = 0; a < sinks && a <= last; a++) sb[so + a] = Float.NEGATIVE_INFINITY;
                for (int a = from0; a < p0 && a <= last; a++) sb[so + cRing + a - from0] = Float.NEGATIVE_INFINITY;
                for (int e = 0; e < wn; e++) if (window.position(window.slot(e)) <= last) sb[so + cWin + e] = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < jEnd; j++) if (b.rowPos[base + j] <= last) sb[so + cBatch + j] = Float.NEGATIVE_INFINITY;
            }
            int li = i - base;
            for (int a = from0; a < b.fromRow[i] && a < p0; a++) sb[so + cRing + a - from0] = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < wn; e++) if (!b.windowMask[windowMaskOff + li * wn + e]) sb[so + cWin + e] = Float.NEGATIVE_INFINITY;
            for (int j = 0, m = maskOff + li * ns; j < jEnd; j++) if (!b.batchMask[m + j]) sb[so + cBatch + j] = Float.NEGATIVE_INFINITY;
            Ops.softmax(sb, so, cols);
            Arrays.fill(att, qOff[r], qOff[r] + hd, 0f);
        }

        // Weighted values, in the same order.
        if (sinks > 0) AttentionOps.accumulate(sb, sOff, 0, nq, rv, ring.offset(0) + kvOff, kvDim, sinks, hd, att, qOff);
        for (int a = from0; a < p0; ) {
            int len = ringRun(ring, p0, a);
            AttentionOps.accumulate(sb, sOff, cRing + a - from0, nq, rv, ring.offset(a) + kvOff, kvDim, len, hd, att, qOff);
            a += len;
        }
        for (int e = 0; e < wn; ) {
            int len = windowRun(window, e, wn);
            AttentionOps.accumulate(sb, sOff, cWin + e, nq, window.values(l), window.offset(window.slot(e)) + kvOff, kvDim, len, hd, att, qOff);
            e += len;
        }
        AttentionOps.accumulate(sb, sOff, cBatch, nq, vRows, base * kvDim + kvOff, kvDim, jEnd, hd, att, qOff);
    }

    /** Cached originals from position a on (before p0) whose ring slots follow each other. */
    private int ringRun(OriginalKvRing ring, int p0, int a) {
        // Slots rise by one per position until the last slot, then wrap to the first non-sink one.
        return Math.min(p0 - a, ring.capacity() - ring.offset(a) / shape.kvDim());
    }

    /** Hidden-window entries from e on (before wn) whose slots follow each other. */
    private static int windowRun(HiddenWindow window, int e, int wn) {
        int len = 1;
        while (e + len < wn && window.slot(e + len) == window.slot(e + len - 1) + 1) len++;
        return len;
    }

    /** Sequence seg's originals into its ring, its surviving hidden tokens into its window (layer l). */
    private void storeKeysAndValues(int l, int seg) {
        Batch b = batch;
        int kvDim = shape.kvDim();
        OriginalKvRing ring = b.segCache[seg].ring;
        HiddenWindow window = b.segCache[seg].window;
        int base = b.segBase[seg], ns = b.segRows[seg], hiddenTotal = b.segHiddenTotal[seg];
        MemorySegment rk = ring.keys(l), rv = ring.values(l);
        for (int i = base; i < base + ns; i++) {
            if (b.rowCopy[i] == 1) {
                MemorySegment.copy(k, i * kvDim, rk, ValueLayout.JAVA_FLOAT, (long) ring.offset(b.rowPos[i]) * Float.BYTES, kvDim);
                MemorySegment.copy(v, i * kvDim, rv, ValueLayout.JAVA_FLOAT, (long) ring.offset(b.rowPos[i]) * Float.BYTES, kvDim);
            } else if (window != null) {
                int slot = window.plannedSlot(b.hiddenOrdinal[i], hiddenTotal);
                if (slot >= 0) {
                    long at = (long) window.offset(slot) * Float.BYTES;
                    MemorySegment.copy(k, i * kvDim, window.keys(l), ValueLayout.JAVA_FLOAT, at, kvDim);
                    MemorySegment.copy(v, i * kvDim, window.values(l), ValueLayout.JAVA_FLOAT, at, kvDim);
                }
            }
        }
    }
}
