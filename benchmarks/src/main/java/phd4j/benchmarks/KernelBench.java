package phd4j.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
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

import phd4j.simd.GgmlType;
import phd4j.simd.MatMul;
import phd4j.simd.Kernels;
import phd4j.simd.WeightMatrix;
import phd4j.simd.WorkerPool;

/**
 * One multi-row matrix product (MatMul.multiply, the engine's entry point) over a weight matrix
 * larger than the L3 cache, for each weight type, activation row count (PHD's K) and thread
 * count. Besides the time per product it reports, as JMH secondary results, {@code weightGB}
 * (GB of weights read per second: the decode bandwidth) and {@code gflop} (GFLOP/s, 2 flops per
 * weight per row).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class KernelBench {

    @Param({"Q8_0", "Q4_0", "F32"})
    public String type;

    @Param({"1", "2", "4", "8"})
    public int rows;

    @Param({"2"})
    public int threads;

    /** Weight rows (output dimension). 8192 x 4096 Q8_0 is 36 MB, Q4_0 19 MB (L3: 32 MiB). */
    @Param({"8192"})
    public int outDim;

    /** Weight columns (input dimension). */
    @Param({"4096"})
    public int inDim;

    /**
     * True: one copy of the matrix, read again and again, so that a small one stays in cache and
     * the product runs at the speed of its arithmetic alone. Beside the default (every product
     * streams from DRAM) it shows how much of a decode step the memory stream adds to the compute.
     */
    @Param({"false"})
    public boolean cached;

    /**
     * True: the product runs on the interleaved copy the engine makes at load for the types that
     * have one (Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K, Q6_K; phd's default); false: on the file's own layout (--no-repack).
     * The rates count the file's bytes either way, so the two compare per byte of the model.
     */
    @Param({"true"})
    public boolean repack;

    private Arena arena;
    private WorkerPool pool;
    private WeightMatrix w;
    private float[] x;
    private float[] out;
    /** Several copies of the matrix when one would fit in L3, so every product streams DRAM. */
    private WeightMatrix[] copies;
    private int next;

    @Setup
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        pool = new WorkerPool(threads);
        long bytes = t.bytesFor((long) outDim * inDim);
        int n = cached || bytes >= 64L << 20 ? 1 : (int) ((64L << 20) / bytes + 1);
        copies = new WeightMatrix[n];
        Random rnd = new Random(42);
        float[] src = new float[inDim];
        if (!Kernels.canQuantizeTo(t)) throw new IllegalArgumentException("no benchmark data for " + t + "; types: " + Kernels.SUPPORTED);
        MemorySegment first = arena.allocate(bytes, 64);
        for (int o = 0; o < outDim; o++) {
            for (int i = 0; i < inDim; i++) src[i] = (float) rnd.nextGaussian();
            Kernels.quantize(t, src, 0, inDim, first, o * t.bytesFor(inDim));
        }
        for (int c = 0; c < n; c++) {
            // copies of the same values at other addresses: the stream is what matters
            MemorySegment data = c == 0 ? first : arena.allocate(bytes, 64).copyFrom(first);
            WeightMatrix m = new WeightMatrix(t, data, outDim, inDim);
            copies[c] = repack ? m.withInterleaved(arena, pool) : m;
        }
        w = copies[0];
        x = new float[rows * inDim];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        out = new float[rows * outDim];
    }

    @TearDown
    public void tearDown() {
        pool.close();
        arena.close();
    }

    /** Secondary results: rates per second of weight bytes (GB) and flops (GFLOP). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double weightGB;
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            weightGB = 0;
            gflop = 0;
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    @BenchmarkMode(Mode.Throughput)
    public float multiply(Rates rates) {
        WeightMatrix m = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        MatMul.multiply(pool, m, x, rows, out);
        rates.weightGB += m.type().bytesFor((long) m.rows() * m.cols()) * 1e-9;
        rates.gflop += 2.0 * rows * m.rows() * m.cols() * 1e-9;
        return out[0];
    }
}
