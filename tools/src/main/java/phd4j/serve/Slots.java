package phd4j.serve;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import phd4j.Model;
import phd4j.Session;

/**
 * The server's sessions, one per slot, each with its own KV ring; a request holds one while it
 * generates. At most {@code queue} more requests wait for a slot; beyond that, or after a
 * minute's wait, a request is refused with 503 and Retry-After rather than piling up.
 */
final class Slots {
    private final Deque<Session> free = new ArrayDeque<>();
    private final Semaphore admitted; // slots + queue places
    private final Semaphore available;
    final int count, contextLength;

    Slots(Model model, int count, int contextLength, int queue) {
        this.count = count;
        this.contextLength = contextLength;
        for (int i = 0; i < count; i++) free.push(model.newSession(contextLength));
        admitted = new Semaphore(count + queue);
        available = new Semaphore(count, true);
    }

    /** A free session (the most recently used: its cache may hold this client's conversation). */
    Session acquire() throws InterruptedException {
        if (!admitted.tryAcquire()) throw new ApiException(503, "server_busy", null, "every slot and the queue are full", 1);
        try {
            if (!available.tryAcquire(60, TimeUnit.SECONDS)) throw new ApiException(503, "server_busy", null, "no slot became free within 60 s", 5);
        } catch (InterruptedException | RuntimeException e) {
            admitted.release();
            throw e;
        }
        synchronized (free) {
            return free.pop();
        }
    }

    void release(Session s) {
        synchronized (free) {
            free.push(s);
        }
        available.release();
        admitted.release();
    }
}
