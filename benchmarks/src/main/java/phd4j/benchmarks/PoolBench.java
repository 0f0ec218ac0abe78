package phd4j.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import phd4j.simd.WorkerPool;

/**
 * The cost of one hand-off of the worker pool: a parallelFor whose chunks do (almost) nothing, so
 * the time is waking the workers, handing out the chunks and waiting for the last one. Multiplied
 * by the parallel sections per token that {@code phd bench} prints, it is what synchronization
 * costs a decode step. Calls come back to back, as a decode step's matmuls do, so idle workers
 * are still spinning (WorkerPool spins 50 us before it parks).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PoolBench {
    @Param({"2"})
    public int threads;

    private WorkerPool pool;
    private final int[] sink = new int[64];

    @Setup
    public void setup() {
        pool = new WorkerPool(threads);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public void handOff(Blackhole bh) {
        pool.parallelFor(8, (start, end) -> sink[start]++);
        bh.consume(sink);
    }
}
