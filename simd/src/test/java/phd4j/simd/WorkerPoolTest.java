package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WorkerPoolTest {

    @Test
    void coversEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int repeat = 0; repeat < 50; repeat++) {
                    for (int n : new int[] {0, 1, 2, 7, 1000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        pool.parallelFor(n, (start, end) -> {
                            for (int i = start; i < end; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "threads " + threads + " n " + n + " index " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void rethrowsATaskExceptionInTheCallerAndStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.parallelFor(1000, (start, end) -> {
                if (start <= 999 && 999 < end) throw boom;
            }));
            assertSame(boom, thrown);
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            pool.parallelFor(100, (start, end) -> {
                for (int i = start; i < end; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void countsOnlyTheCallsHandedToWorkers() {
        try (WorkerPool pool = new WorkerPool(2)) {
            pool.parallelFor(10, (start, end) -> { });                              // handed off
            pool.parallelFor(1, (start, end) -> { });                               // one index: inline
            pool.parallelFor(0, (start, end) -> { });                               // nothing to do
            pool.parallelFor(10, (start, end) -> pool.parallelFor(4, (a, b) -> { })); // nested calls: inline
            assertEquals(2, pool.handOffs());
        }
        try (WorkerPool single = new WorkerPool(1)) {
            single.parallelFor(10, (start, end) -> { });
            assertEquals(0, single.handOffs());
        }
    }

    @Test
    void aNestedCallRunsInline() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            pool.parallelFor(8, (start, end) -> {
                for (int outer = start; outer < end; outer++) {
                    int base = outer * 8;
                    pool.parallelFor(8, (s, e) -> {
                        for (int i = s; i < e; i++) hits.incrementAndGet(base + i);
                    });
                }
            });
            for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void concurrentCallersAreSerialized() throws Exception {
        try (WorkerPool pool = new WorkerPool(2); ExecutorService callers = Executors.newFixedThreadPool(2)) {
            Future<?>[] futures = new Future<?>[2];
            for (int c = 0; c < 2; c++) {
                futures[c] = callers.submit(() -> {
                    for (int repeat = 0; repeat < 200; repeat++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(257);
                        pool.parallelFor(257, (start, end) -> {
                            for (int i = start; i < end; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < 257; i++) assertEquals(1, hits.get(i));
                    }
                });
            }
            for (Future<?> f : futures) f.get();
        }
    }

    @Test
    void aClosedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, (start, end) -> { }));
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
    }
}
