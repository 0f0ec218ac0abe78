package phd4j.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Memory read bandwidth, the ceiling of a memory-bound decode step: a vectorized float sum over
 * an off-heap buffer much larger than the caches, split over the threads of a pool. Used by
 * {@code phd bench --probe} (measured between the runs it judges, since this machine's bandwidth
 * drifts by tens of percent within minutes) and by the JMH {@code BandwidthProbe}.
 */
public final class ReadBandwidth implements AutoCloseable {
    /** Bytes per unit of work handed to a thread: large enough that hand-offs cost nothing. */
    private static final long UNIT = 1L << 20;
    /** Enough reads for C2 to compile the sum (checked: after them the first timed read is as fast as the twentieth). */
    private static final long WARM_UP_BYTES = 4L << 30;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;
    private final WorkerPool pool;
    private final float[] partial;

    /**
     * A buffer of {@code bytes} (a multiple of 1 MiB, at least 1 MiB), every page touched, then
     * read until the sum is compiled: the first reads run interpreted at half the speed.
     */
    public ReadBandwidth(long bytes, WorkerPool pool) {
        if (bytes < UNIT || bytes % UNIT != 0 || bytes / UNIT > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("probe size must be a positive multiple of 1 MiB, got " + bytes);
        }
        this.data = arena.allocate(bytes, 4096);
        this.data.fill((byte) 1);
        this.pool = pool;
        this.partial = new float[(int) (bytes / UNIT)];
        for (long read = 0; read < WARM_UP_BYTES; read += bytes) readOnce();
    }

    public long bytes() {
        return data.byteSize();
    }

    /** Reads the whole buffer once; returns the sum of its floats (so the reads cannot be dropped). */
    public float readOnce() {
        pool.parallelFor(partial.length, (start, end) -> {
            for (int u = start; u < end; u++) {
                partial[u] = sum(data, u * UNIT, (u + 1) * UNIT);
            }
        });
        float total = 0;
        for (float p : partial) total += p;
        return total;
    }

    /** GB/s (10^9 bytes) of {@code passes} reads of the buffer, timed together. */
    public double gbPerSecond(int passes) {
        long t0 = System.nanoTime();
        for (int i = 0; i < passes; i++) readOnce(); // the sums land in a field: the reads stay
        long ns = System.nanoTime() - t0;
        return (double) passes * data.byteSize() / ns;
    }

    /** Four independent accumulators: one would serialize on the add latency, not on memory. */
    private static float sum(MemorySegment s, long from, long to) {
        int step = Lanes.F.vectorByteSize();
        FloatVector a = FloatVector.zero(Lanes.F), b = a, c = a, d = a;
        for (long at = from; at < to; at += 4L * step) {
            a = a.add(FloatVector.fromMemorySegment(Lanes.F, s, at, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(Lanes.F, s, at + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(Lanes.F, s, at + 2L * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(Lanes.F, s, at + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void close() {
        arena.close();
    }
}
