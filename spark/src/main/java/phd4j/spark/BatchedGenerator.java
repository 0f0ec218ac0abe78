package phd4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import phd4j.BatchDecoder;
import phd4j.Generation;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.TokenListener;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;

/**
 * Generates for a stream of rows (a partition) with up to {@code batch} of them decoding together,
 * one forward pass per token for all ({@link BatchDecoder}): when a row finishes, the next one
 * takes its session, so the batch stays full. Prompts are evaluated per session, in one pass each,
 * as {@link Session#generate} does (a PHD model's prompts cannot share a pass). Results come out
 * in input order. A row that cannot be generated (no prompt, too long for the context, a chat
 * template that fails) gets an error instead of a result and does not stop the others.
 */
final class BatchedGenerator implements Iterator<BatchedGenerator.Outcome> {
    /**
     * One row's input: a prompt, or chat messages (then prompt is null), its seed, its name in
     * errors; inputError, when not null, says why the row's columns could not be read; source is
     * the caller's (its input row), handed back with the outcome.
     */
    record Request(String prompt, List<ChatMessage> messages, long seed, String label, String inputError, Object source) {}

    /** One row's output: the generation, or the error that prevented it (then result is null). */
    record Outcome(Request request, GenerationResult result, String error) {}

    private final Model model;
    private final PhdOptions options;
    private final ChatTemplate template; // null when the model has none and the options give none
    private final Iterator<Request> input;
    private final BatchDecoder decoder;
    private final ArrayDeque<Session> free = new ArrayDeque<>();
    private final ArrayDeque<Slot> inFlight = new ArrayDeque<>(); // input order

    private static final class Slot {
        final Request request;
        Session session;
        Generation generation;
        String error;

        Slot(Request request) {
            this.request = request;
        }

        boolean done() {
            return error != null || generation.done();
        }
    }

    BatchedGenerator(Model model, PhdOptions options, Iterator<Request> input) {
        this.model = model;
        this.options = options;
        this.template = template(model, options);
        this.input = input;
        this.decoder = model.newBatchDecoder(options.batch);
        for (int i = 0; i < options.batch; i++) free.add(model.newSession(options.context));
    }

    @Override
    public boolean hasNext() {
        return !inFlight.isEmpty() || input.hasNext();
    }

    @Override
    public Outcome next() {
        if (!hasNext()) throw new NoSuchElementException();
        fill();
        while (!inFlight.peekFirst().done()) {
            List<Generation> active = new ArrayList<>();
            for (Slot s : inFlight) if (s.error == null && !s.generation.done()) active.add(s.generation);
            decoder.step(active);
            release();
            fill();
        }
        Slot head = inFlight.removeFirst();
        return new Outcome(head.request, head.error == null ? head.generation.result() : null, head.error);
    }

    /** Starts rows while sessions are free: their prompts are evaluated now. */
    private void fill() {
        while (!free.isEmpty() && input.hasNext()) {
            Slot slot = new Slot(input.next());
            inFlight.addLast(slot);
            Session session = free.removeFirst();
            session.reset();
            try {
                slot.generation = start(model, template, options, session, slot.request);
                slot.generation.prefill(Integer.MAX_VALUE);
                slot.session = session;
                if (slot.generation.done()) release(slot);
            } catch (IllegalArgumentException | IllegalStateException | ChatTemplateException e) {
                slot.error = e.getMessage();
                free.addLast(session);
            }
        }
    }

    /** The options' chat template, else the model's, else null. */
    static ChatTemplate template(Model model, PhdOptions options) {
        return options.chatTemplate != null ? ChatTemplate.parse(options.chatTemplate, "option 'chat_template'")
                : model.chatTemplate().orElse(null);
    }

    /**
     * A generation of the row in the (reset) session, as {@link Session#generate} or
     * {@link Session#chat} would make it; throws IllegalArgumentException, IllegalStateException or
     * ChatTemplateException, with the reason, for a row that cannot be generated.
     */
    static Generation start(Model model, ChatTemplate template, PhdOptions options, Session session, Request r) {
        if (r.inputError() != null) throw new IllegalArgumentException(r.inputError());
        if (r.messages() != null) {
            if (template == null) throw new IllegalStateException("the model has no chat template (give the option 'chat_template')");
            return session.startChat(template, r.messages(), options.generationParams(r.seed()), TokenListener.NONE);
        }
        if (r.prompt() == null) throw new IllegalArgumentException("the prompt is null");
        if (r.prompt().isEmpty()) throw new IllegalArgumentException("the prompt is empty");
        int[] tokens = model.tokenizer().encode(r.prompt(), true, false);
        return session.start(tokens, options.generationParams(r.seed()), TokenListener.NONE);
    }

    private void release() {
        for (Slot s : inFlight) if (s.session != null && s.done()) release(s);
    }

    private void release(Slot s) {
        free.addLast(s.session);
        s.session = null;
    }
}
