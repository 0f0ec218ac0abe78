package phd4j;

import java.nio.file.Path;
import phd4j.sample.SamplerParams;

/**
 * Run in a JVM of its own with a small heap by {@link GenerationMemoryTest}: generates
 * {@code tokens} tokens with an unbounded, streaming generation in a context of 64, and prints
 * the heap in use (after a GC) early on and at the end. Arguments: MODEL TOKENS [keep], keep
 * asking for the output to be kept in the result (as every generation did before issue 17).
 */
final class UnboundedGenerationProbe {
    private UnboundedGenerationProbe() {}

    public static void main(String[] args) {
        long total = Long.parseLong(args[1]);
        long[] seen = {0}, heapEarly = {-1};
        try (Model model = Model.load(Path.of(args[0]), 1); Session session = model.newSession(64)) {
            GenerationParams params = GenerationParams.of(GenerationParams.UNBOUNDED, new SamplerParams(1f, 0, 1f, 0f, 1f, 64, 7))
                    .withIgnoreEos(true).withKeepOutput(args.length > 2 && args[2].equals("keep"));
            GenerationResult r = session.generate(new int[] {1, 5, 9}, params, (token, piece) -> {
                if (++seen[0] == total / 10) heapEarly[0] = heapAfterGc();
                return seen[0] < total;
            });
            System.out.println("generated=" + r.generatedTokens() + " kept=" + r.tokens().length + " text=" + r.text().length()
                    + " heapEarly=" + heapEarly[0] + " heapEnd=" + heapAfterGc());
        }
    }

    private static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }
}
