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
 * others by a chunk at a time, never by the whole prompt. While no request is generating, nobody
 * waits on the pass, and a step reads up to {@link #IDLE_PROMPT_CHUNK} prompt tokens. A PHD model's prompts (K > 1) need
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
     * Prompt tokens a step reads while no request is generating (or the chunk, if larger): a
     * longer pass runs nearer prefill's full speed (1.1b Q8_0, 2 threads: 84 t/s in passes of
     * 64 tokens, 125 in passes of 512), so when eight requests arrive together their first
     * tokens come sooner.
     */
    static final int IDLE_PROMPT_CHUNK = 512;

    private record Job(Generation generation, CompletableFuture<GenerationResult> done) {}

    private final BatchDecoder decoder;
    private final int promptChunk;
    private final int idleChunk;
    private final boolean inPass; // prompt chunks go in the step's pass (vanilla), not in passes of their own (PHD)
    private final LinkedBlockingQueue<Job> submitted = new LinkedBlockingQueue<>();
    private final Thread thread;

    Scheduler(Model model, int slots, int promptChunk) {
        if (promptChunk < 1) throw new IllegalArgumentException("prompt chunk must be >= 1 token, is " + promptChunk);
        this.inPass = model.phd().k() == 1;
        this.promptChunk = promptChunk;
        this.idleChunk = Math.max(promptChunk, IDLE_PROMPT_CHUNK);
        this.decoder = model.newBatchDecoder(slots, inPass ? idleChunk : 0);
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
                int chunk = anyGenerating(active) ? promptChunk : idleChunk;
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

    /** Whether a request has read its prompt and is generating: then a step's prompt tokens delay its next token. */
    private static boolean anyGenerating(List<Job> active) {
        for (Job j : active) {
            Generation g = j.generation();
            if (!g.done() && g.promptRemaining() == 0) return true;
        }
        return false;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
