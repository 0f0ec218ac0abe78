package phd4j.cli;

import phd4j.sample.SamplerParams;
import picocli.CommandLine.Option;

/** The sampler flags of every generating command, as llama.cpp names them (a picocli mixin). */
final class SamplerOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8", description = "temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "top-k; 0 disables (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "top-p; 1 disables (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "min-p; 0 disables (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", defaultValue = "1.0", description = "repetition penalty; 1 disables (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "tokens the penalty looks back over (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", description = "random seed (default: a new one each run, printed on stderr)")
    Long seed;

    @Option(names = "--ignore-eos", description = "keep generating after an end-of-text token")
    boolean ignoreEos;

    /** The seed this run uses: --seed, else a fresh one (say it when sampling is random, so the run can be repeated). */
    final long actualSeed = System.nanoTime();

    long seed() {
        return seed != null ? seed : actualSeed;
    }

    /** Whether the seed was chosen here and matters, so the command should print it. */
    boolean randomSeed() {
        return seed == null && temperature > 0;
    }

    /** @throws picocli.CommandLine.ParameterException naming the flag for an out-of-range value */
    SamplerParams params(CommonOptions common) {
        try {
            return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed());
        } catch (IllegalArgumentException e) {
            throw common.bad(e.getMessage());
        }
    }
}
