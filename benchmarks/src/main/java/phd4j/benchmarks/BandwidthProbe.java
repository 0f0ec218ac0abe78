package phd4j.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import phd4j.simd.WorkerPool;

/**
 * Memory read bandwidth: a vectorized float sum over 1 GiB (off-heap) split over the threads of a
 * WorkerPool. The secondary result {@code readGB} is GB read per second: the ceiling for a
 * memory-bound decode step (DESIGN.md: about 35 GB/s on 2 threads on the reference machine).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class BandwidthProbe {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final long BYTES = 1L << 30;
    /** Bytes per unit of work handed to a thread. */
    private static final long UNIT = 1L << 20;

    @Param({"2", "1"})
    public int threads;

    private Arena arena;
    private MemorySegment data;
    private WorkerPool pool;
    private float[] partial;

    @Setup
    public void setup() {
        arena = Arena.ofShared();
        data = arena.allocate(BYTES, 4096);
        data.fill((byte) 1); // touch every page
        pool = new WorkerPool(threads);
        partial = new float[(int) (BYTES / UNIT)];
    }

    @TearDown
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double readGB;

        @Setup(Level.Iteration)
        public void reset() {
            readGB = 0;
        }
    }

    private static float sum(MemorySegment s, long from, long to) {
        int step = F.vectorByteSize();
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        for (long at = from; at < to; at += 4L * step) {
            a = a.add(FloatVector.fromMemorySegment(F, s, at, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, s, at + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, s, at + 2L * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, s, at + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float sum1GiB(Rates rates) {
        pool.parallelFor(partial.length, (start, end) -> {
            for (int u = start; u < end; u++) {
                partial[u] = sum(data, u * UNIT, (u + 1) * UNIT);
            }
        });
        float total = 0;
        for (float p : partial) total += p;
        rates.readGB += BYTES * 1e-9;
        return total;
    }
}
