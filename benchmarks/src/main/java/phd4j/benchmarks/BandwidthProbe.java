package phd4j.benchmarks;

import java.util.concurrent.TimeUnit;

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

import phd4j.simd.ReadBandwidth;
import phd4j.simd.WorkerPool;

/**
 * Memory read bandwidth: {@link ReadBandwidth}'s vectorized float sum over 1 GiB (off-heap) split
 * over the threads of a WorkerPool, the same probe {@code phd bench --probe} runs. The secondary
 * result {@code readGB} is GB read per second: the ceiling for a memory-bound decode step
 * (DESIGN.md: about 35 GB/s on 2 threads on the reference machine).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class BandwidthProbe {
    @Param({"2", "1"})
    public int threads;

    private WorkerPool pool;
    private ReadBandwidth probe;

    @Setup
    public void setup() {
        pool = new WorkerPool(threads);
        probe = new ReadBandwidth(1L << 30, pool);
    }

    @TearDown
    public void tearDown() {
        probe.close();
        pool.close();
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

    @Benchmark
    public float sum1GiB(Rates rates) {
        float total = probe.readOnce();
        rates.readGB += probe.bytes() * 1e-9;
        return total;
    }
}
