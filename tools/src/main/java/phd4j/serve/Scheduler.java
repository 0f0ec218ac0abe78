package phd4j.serve;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import phd4j.BatchDecoder;
import phd4j.Generation;
import phd4j.GenerationResult;
import phd4j.Model;

/**
 * The server's one decode thread. Requests hand it their generation (each in its slot's session);
 * it loops over the active ones, one {@link BatchDecoder} step per iteration: a single forward
 * pass advances every generating request by a token and reads up to {@code promptChunk} prompt
 * tokens of the requests still reading theirs, oldest first. So eight clients cost one weight
 * read per step, not eight, new prompts share those reads too, and a long prompt delays the
 * others by a chunk at a time, never by the whole prompt. While more requests wait to start
 * than are generating (none generating, or a burst of arrivals), a step reads up to
 * {@code promptBurst} prompt tokens instead: the pause is then paid by fewer requests than it
 * speeds up. A PHD model's prompts (K > 1) need
 * their hidden copies planned per session: there a step is preceded by one chunk of the oldest
 * request's prompt in its own pass. Sampling, streaming and stops are each generation's own (listeners run on this thread:
 * they must only hand pieces on, never block on a client).
 */
final class Scheduler implements AutoCloseable {
    /**
     * Prompt tokens per chunk unless the server is told otherwise: a chunk of the 110m Q8_0 model
     * takes about as long as a few decode steps, so generating clients see a pause of that order
     * while a prompt is read, and a prompt still goes at near its batched speed.
     */
    static final int DEFAULT_PROMPT_CHUNK = 64;

    /**
     * Prompt tokens a step reads, unless the server is told otherwise, while more requests wait
     * to start than are generating (or the chunk, if larger): a longer pass runs nearer
     * prefill's full speed (1.1b Q8_0, 2 threads: 84 t/s in passes of 64 tokens, 125 in passes
     * of 512). Eight requests arriving together on 1.1b Q8_0, -np 8, alternated: 20.1 and 24.7
     * aggregate t/s with 64-token chunks once the first one generates, 31.6 and 29.5 with these
     * bursts (llama-server, which reads whole prompts: 33.0 and 37.7).
     */
    static final int DEFAULT_PROMPT_BURST = 512;

    private record Job(Generation generation, CompletableFuture<GenerationResult> done) {}

    private final BatchDecoder decoder;
    private final int promptChunk;
    private final int burstChunk;
    private final boolean inPass; // prompt chunks go in the step's pass (vanilla), not in passes of their own (PHD)
    private final LinkedBlockingQueue<Job> submitted = new LinkedBlockingQueue<>();
    private final Thread thread;

    Scheduler(Model model, int slots, int promptChunk, int promptBurst) {
        if (promptChunk < 1) throw new IllegalArgumentException("prompt chunk must be >= 1 token, is " + promptChunk);
        this.inPass = model.phd().k() == 1;
        this.promptChunk = promptChunk;
        this.burstChunk = Math.max(promptChunk, promptBurst);
        this.decoder = model.newBatchDecoder(slots, inPass ? burstChunk : 0);
        this.thread = Thread.ofPlatform().name("phd-serve-decode").daemon().start(this::loop);
    }

    /**
     * Runs a generation, not yet started, to its end on the decode thread; the future completes
     * when it has finished (its session is then free again), or exceptionally if it failed.
     * At most as many at once as the decoder has room for: one per slot.
     */
    CompletableFuture<GenerationResult> submit(Generation g) {
        Job job = new Job(g, new CompletableFuture<>());
        submitted.add(job);
        return job.done();
    }

    private void loop() {
        List<Job> active = new ArrayList<>();
        List<Generation> generations = new ArrayList<>();
        try {
            while (true) {
                if (active.isEmpty()) active.add(submitted.take());
                submitted.drainTo(active);
                int chunk = burst(active) ? burstChunk : promptChunk;
                for (Job j : active) { // PHD: one chunk of the oldest request still reading its prompt
                    if (inPass) break;
                    if (j.generation().done() || j.generation().promptRemaining() == 0) continue;
                    try {
                        j.generation().prefill(chunk);
                    } catch (RuntimeException e) {
                        j.done().completeExceptionally(e);
                    }
                    break;
                }
                generations.clear();
                for (Job j : active) if (!j.done().isDone()) generations.add(j.generation());
                try {
                    decoder.step(generations, inPass ? chunk : 0);
                } catch (RuntimeException e) { // a failed pass leaves every generation in it broken
                    for (Job j : active) if (!j.generation().done()) j.done().completeExceptionally(e);
                }
                for (Iterator<Job> it = active.iterator(); it.hasNext(); ) {
                    Job j = it.next();
                    if (j.generation().done()) j.done().complete(j.generation().result());
                    if (j.done().isDone()) it.remove();
                }
            }
        } catch (InterruptedException e) { // the server closes
            submitted.drainTo(active);
            for (Job j : active) j.done().completeExceptionally(e);
        }
    }

    /**
     * Whether more requests are reading their prompts than are generating (a step's prompt tokens
     * delay the generating ones' next token, and bring the others' first one nearer; on a tie,
     * say one stream and one new prompt on two slots, the stream keeps its short pauses).
     */
    private static boolean burst(List<Job> active) {
        int generating = 0, reading = 0;
        for (Job j : active) {
            Generation g = j.generation();
            if (g.done()) continue;
            if (g.promptRemaining() == 0) generating++;
            else reading++;
        }
        return reading > generating;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
