package phd4j.cli;

import phd4j.Model;
import phd4j.model.KvCache;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code -c CTX} of the commands that open sessions on a model (a picocli mixin). */
final class ContextOption {
    /** The largest context a command takes by default, however long the model was trained. */
    static final int DEFAULT_CAP = 4096;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    private int context;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "CTX", defaultValue = "0",
            description = "context length in tokens (of each slot for serve); 0: the model's, at most " + DEFAULT_CAP + " (default: ${DEFAULT-VALUE})")
    void setContext(int n) {
        if (n < 0) throw new ParameterException(spec.commandLine(), "-c must be >= 0, got " + n);
        context = n;
    }

    /**
     * -c, else the model's trained context capped at {@link #DEFAULT_CAP}; refused in one line if
     * a session's KV cache for it would not fit in the memory there is.
     */
    int resolve(Model model) {
        return resolve(model, 1);
    }

    /** As {@link #resolve(Model)}, for {@code sessions} KV caches of that context (serve's slots). */
    int resolve(Model model, int sessions) {
        int ctx = length(model);
        String what = sessions == 1 ? "the KV cache for a context of " + ctx + " (-c)"
                : "the KV caches of " + sessions + " slots (-np) with a context of " + ctx + " (-c)";
        MemoryCheck.requireOffHeap(sessions * KvCache.bytesFor(model.config(), model.phd(), ctx), what);
        return ctx;
    }

    /** -c, else the model's trained context capped at {@link #DEFAULT_CAP}, for commands that allocate no cache. */
    int length(Model model) {
        return context > 0 ? context : Math.min(model.config().trainedContext(), DEFAULT_CAP);
    }
}
