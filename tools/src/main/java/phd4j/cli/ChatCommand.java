package phd4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phd chat}: a conversation in the model's chat template, one user turn a line (a line
 * ending in a backslash continues on the next), each reply streamed. The session keeps the
 * conversation in its KV cache, so a turn evaluates only its own text.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Talk with a model in its chat template; one user turn a line, from a terminal or a pipe.",
                "/reset starts over, /exit or end of input (Ctrl-D) quits, Ctrl-C stops a reply."})
final class ChatCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;
    @Mixin SamplerOptions samplerOptions;
    @Mixin TemplateOptions templateOptions;

    @Option(names = {"-sys", "--system-prompt"}, paramLabel = "SYSTEM", description = "a system message to open the conversation with")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "most tokens a reply may have; -1: until the end of the turn; 0: until the context is full (default: ${DEFAULT-VALUE})")
    int nPredict;

    @Mixin ContextOption contextOption;

    /** Set by Ctrl-C while a reply streams; the token listener then ends the reply. */
    private volatile boolean interrupted;

    @Override
    public Integer call() throws IOException {
        if (nPredict < -1) throw common.bad("-n must be -1 or >= 0, got " + nPredict);
        GenerationParams params = new GenerationParams(nPredict, samplerOptions.params(common),
                List.of(), List.of(), samplerOptions.ignoreEos);
        PrintWriter out = common.spec.commandLine().getOut();
        PrintWriter err = common.spec.commandLine().getErr();
        boolean terminal = System.console() != null && System.console().isTerminal();
        try (Model model = Model.load(common.model(), common.loadOptions(phdOptions.config()))) {
            Activity.set("chatting with " + model.file().path());
            PhdOptions.announce(model, err);
            ChatTemplate template = templateOptions.template(model, err);
            int ctx = contextOption.resolve(model);
            if (samplerOptions.randomSeed()) err.println("seed: " + samplerOptions.seed() + " (--seed repeats this conversation)");
            if (terminal) err.println("chat: " + model.file().path().getFileName() + ", context " + ctx + " tokens; /reset starts over, /exit or Ctrl-D quits, Ctrl-C stops a reply");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(new ChatMessage("system", system));
            int opening = messages.size();
            boolean warnedFull = false;
            try (Session session = model.newSession(ctx, Math.min(Session.DEFAULT_KEEP, ctx - 1))) {
                StopOnInterrupt.install(() -> interrupted = true);
                while (true) {
                    if (terminal) {
                        out.print("> ");
                        out.flush();
                    }
                    String turn = readTurn(in);
                    if (turn == null || turn.strip().equals("/exit")) break;
                    if (turn.strip().equals("/reset")) {
                        messages.subList(opening, messages.size()).clear();
                        session.reset();
                        err.println("(the conversation starts over)");
                        continue;
                    }
                    if (turn.isBlank()) continue;
                    messages.add(new ChatMessage("user", turn));
                    interrupted = false;
                    GenerationResult r;
                    try {
                        r = session.chat(template, messages, params, (token, piece) -> {
                            out.print(piece);
                            out.flush();
                            return !interrupted;
                        });
                    } catch (IllegalArgumentException | ChatTemplateException e) {
                        messages.removeLast();
                        err.println("chat: " + e.getMessage() + (e instanceof IllegalArgumentException
                                ? " (/reset starts over; -c gives a longer context)" : ""));
                        continue;
                    }
                    out.println();
                    out.flush();
                    if (r.stopReason() == GenerationResult.StopReason.LISTENER) err.println("(reply stopped)");
                    messages.add(new ChatMessage("assistant", r.text()));
                    if (!warnedFull && session.position() >= ctx) {
                        err.println("note: the conversation has outgrown the context of " + ctx + " tokens: the oldest turns"
                                + " (all but the first " + Math.min(Session.DEFAULT_KEEP, ctx - 1) + " tokens) are no longer in the KV cache");
                        warnedFull = true;
                    }
                }
            } finally {
                StopOnInterrupt.uninstall();
            }
        }
        return 0;
    }

    /** One user turn: a line, joined with the next while it ends in a backslash; null at the end of input. */
    static String readTurn(BufferedReader in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.endsWith("\\")) return b.append(line).toString();
            b.append(line, 0, line.length() - 1).append('\n');
        }
        return b.isEmpty() ? null : b.toString();
    }
}
