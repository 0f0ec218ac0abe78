package phd4j.cli;

import java.io.PrintWriter;
import phd4j.phd.PhdConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options that impose PHD settings on any model, overriding the file's {@code phd.*} keys (a picocli mixin). */
final class PhdOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--phd-k", paramLabel = "K", description = "override: repeat each token K times (1 = vanilla)")
    Integer k;

    @Option(names = "--phd-variant", paramLabel = "V", description = "override: phd, phd-swa or phd-cswa (default: phd)")
    String variant;

    @Option(names = "--phd-window", paramLabel = "W", description = "override: hidden-token window W (phd-swa, phd-cswa)")
    Integer window;

    @Option(names = "--phd-chunk", paramLabel = "C", description = "override: chunk length C (phd-cswa)")
    Integer chunk;

    /** The imposed settings, or null when no --phd-* option was given. */
    PhdConfig config() {
        if (k == null && variant == null && window == null && chunk == null) return null;
        if (k == null) throw new ParameterException(spec.commandLine(), "--phd-variant, --phd-window and --phd-chunk need --phd-k");
        PhdConfig.Variant v = variant == null ? PhdConfig.Variant.PHD : PhdConfig.Variant.fromKey(variant);
        if (v == null) throw new ParameterException(spec.commandLine(), "--phd-variant: unknown variant '" + variant + "' (phd, phd-swa, phd-cswa)");
        if (v == PhdConfig.Variant.PHD && (window != null || chunk != null)) {
            throw new ParameterException(spec.commandLine(), "--phd-window and --phd-chunk apply to phd-swa and phd-cswa only");
        }
        if (v == PhdConfig.Variant.SWA && chunk != null) throw new ParameterException(spec.commandLine(), "--phd-chunk applies to phd-cswa only");
        try {
            return new PhdConfig(k, v, window == null ? 0 : window, chunk == null ? 0 : chunk);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Says on stderr that the settings in use are not the file's. */
    static void announce(phd4j.Model model, PrintWriter err) {
        if (model.phdOverridden()) {
            err.println("phd: overriding the file's PHD settings (" + PhdConfig.fromGguf(model.file()).name() + ") with " + model.phd().name());
            err.flush();
        }
    }
}
