package phd4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import phd4j.phd.PhdConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * PHD settings given on the command line (a picocli mixin): imposed on a model in place of its
 * {@code phd.*} keys (run, logits, info, bench), or written into a new file (synth).
 */
final class PhdOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--phd-k", paramLabel = "K", split = ",",
            description = "repeat each token K times (1 = vanilla); bench takes a list, e.g. 1,2,4,8")
    List<Integer> ks;

    @Option(names = "--phd-variant", paramLabel = "V", description = "phd, phd-swa or phd-cswa (default: phd)")
    String variant;

    @Option(names = "--phd-window", paramLabel = "W", description = "hidden-token window W (phd-swa, phd-cswa)")
    Integer window;

    @Option(names = "--phd-chunk", paramLabel = "C", description = "chunk length C (phd-cswa)")
    Integer chunk;

    /** The one setting given, or null when no --phd-* option was given. */
    PhdConfig config() {
        List<PhdConfig> all = configs();
        if (all.size() > 1) throw bad("--phd-k takes one value here, got " + ks);
        return all.isEmpty() ? null : all.getFirst();
    }

    /** One setting per K given (same variant, window, chunk); empty when no --phd-* option was given. */
    List<PhdConfig> configs() {
        if (ks == null) {
            if (variant != null || window != null || chunk != null) throw bad("--phd-variant, --phd-window and --phd-chunk need --phd-k");
            return List.of();
        }
        PhdConfig.Variant v = variant == null ? PhdConfig.Variant.PHD : PhdConfig.Variant.fromKey(variant);
        if (v == null) throw bad("--phd-variant: unknown variant '" + variant + "' (phd, phd-swa, phd-cswa)");
        if (v == PhdConfig.Variant.PHD && (window != null || chunk != null)) throw bad("--phd-window and --phd-chunk apply to phd-swa and phd-cswa only");
        if (v == PhdConfig.Variant.SWA && chunk != null) throw bad("--phd-chunk applies to phd-cswa only");
        List<PhdConfig> out = new ArrayList<>();
        for (int k : ks) {
            try {
                out.add(new PhdConfig(k, v, window == null ? 0 : window, chunk == null ? 0 : chunk));
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }
        return out;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Says on stderr that the settings in use are not the file's. */
    static void announce(phd4j.Model model, PrintWriter err) {
        if (model.phdOverridden()) {
            err.println("phd: overriding the file's PHD settings (" + PhdConfig.fromGguf(model.file()).name() + ") with " + model.phd().name());
            err.flush();
        }
    }
}
