package phd4j.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of {@code threads - 1} daemon workers that, with the calling thread, run the
 * chunks of a {@link #parallelFor}. Threads are created once; a call hands off through a
 * generation counter that idle workers spin on briefly (decode steps are ~100 us with dozens of
 * calls, too short to park and wake threads for every call) before parking.
 *
 * <p>One {@code parallelFor} runs at a time: calls from several threads are serialized by a lock.
 * A call made from inside one of this pool's tasks (on the caller or a worker) runs inline.
 */
public final class WorkerPool implements AutoCloseable {

    /** A piece of work over the index range [start, end). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    /** Chunks per thread: a few, so a thread delayed by the OS does not hold up the rest. */
    private static final int CHUNKS_PER_THREAD = 4;
    /** How long an idle thread spins before parking. */
    private static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock callLock = new ReentrantLock();

    // The current job, published to workers by the volatile write of generation.
    private RangeTask task;
    private int n;
    private int chunks;
    private final AtomicInteger nextChunk = new AtomicInteger();
    /** Workers that have not yet finished the current generation. */
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private volatile Throwable failure;
    private volatile int generation;
    private volatile boolean closed;

    /** parallelFor calls handed to the workers so far (written under callLock). */
    private volatile long handOffs;

    private volatile Thread caller;
    private volatile boolean callerParked;

    /** A pool of {@code threads} threads in all, the caller included; {@code threads >= 1}. */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("phd4j-worker-" + i);
            workers[i].start();
        }
    }

    /**
     * How many parallelFor calls have been handed to the workers since the pool was made (calls
     * run inline are not counted): with the hand-off cost measured by PoolBench, what
     * synchronization costs a decode step.
     */
    public long handOffs() {
        return handOffs;
    }

    /** Threads that run a {@link #parallelFor}, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over [0, n) split into contiguous chunks on all threads, returning when
     * every chunk is done. An exception thrown by a chunk is rethrown here (one of them, if
     * several fail); chunks not yet started are then skipped.
     */
    public void parallelFor(int n, RangeTask task) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (n == 0) {
            return;
        }
        if (threads == 1 || n == 1 || callLock.isHeldByCurrentThread()
                || Thread.currentThread() instanceof Worker w && w.pool() == this) {
            task.run(0, n);
            return;
        }
        callLock.lock();
        try {
            if (closed) { // closed while this call waited for the lock: the workers are gone
                throw new IllegalStateException("worker pool is closed");
            }
            handOffs++;
            runOnAll(n, task);
        } finally {
            callLock.unlock();
        }
    }

    private void runOnAll(int n, RangeTask task) {
        this.task = task;
        this.n = n;
        this.chunks = Math.min(n, threads * CHUNKS_PER_THREAD);
        this.failure = null;
        this.caller = Thread.currentThread();
        nextChunk.set(0);
        busyWorkers.set(workers.length);
        generation++; // publishes the job (volatile write; only the lock holder writes it)
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w);
            }
        }

        runChunks();
        awaitWorkers();
        this.task = null;

        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /** Takes chunks until none are left. Chunk c covers [c * n / chunks, (c + 1) * n / chunks). */
    private void runChunks() {
        RangeTask t = task;
        int total = chunks;
        long size = n;
        for (int c = nextChunk.getAndIncrement(); c < total; c = nextChunk.getAndIncrement()) {
            try {
                t.run((int) (c * size / total), (int) ((c + 1) * size / total));
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
                nextChunk.set(total);
            }
        }
    }

    private void awaitWorkers() {
        long start = System.nanoTime();
        for (int spins = 0; busyWorkers.get() != 0; spins++) {
            if ((spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                callerParked = true;
                if (busyWorkers.get() != 0) {
                    LockSupport.park(this);
                }
                callerParked = false;
            }
        }
    }

    /** Stops the workers. Idempotent; a later {@code parallelFor} throws. */
    @Override
    public void close() {
        callLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            generation++;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        } finally {
            callLock.unlock();
        }
    }

    private final class Worker extends Thread {
        /** Set while this worker is (about to be) parked, so the caller unparks only sleepers. */
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        WorkerPool pool() {
            return WorkerPool.this;
        }

        @Override
        public void run() {
            // Zero, not a fresh read: a call may already have started before this thread runs.
            int seen = 0;
            while (true) {
                seen = awaitNextGeneration(seen);
                if (closed) {
                    return;
                }
                runChunks();
                if (busyWorkers.decrementAndGet() == 0 && callerParked) {
                    LockSupport.unpark(caller);
                }
            }
        }

        private int awaitNextGeneration(int seen) {
            long start = System.nanoTime();
            for (int spins = 0; ; spins++) {
                int g = generation;
                if (g != seen) {
                    return g;
                }
                if ((spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // Announce the park before re-checking, so that a caller bumping the generation
                    // either is seen here or sees the flag and unparks us.
                    parked = true;
                    if (generation == seen) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
            }
        }
    }
}
