package phd4j.spark.example;

import java.nio.file.Path;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.TokenListener;

/**
 * The baseline of {@link GenerateJob}: the same prompts, greedy, through one {@link Session} in a
 * plain Java loop, no Spark. Arguments: MODEL N MAX_TOKENS THREADS.
 */
public final class SessionLoop {
    private SessionLoop() {}

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: SessionLoop MODEL N MAX_TOKENS THREADS");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        GenerationParams params = GenerationParams.greedy(Integer.parseInt(args[2]));
        try (Model model = Model.load(Path.of(args[0]), Integer.parseInt(args[3])); Session session = model.newSession(0)) {
            long tokens = 0, t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                session.reset();
                GenerationResult r = session.generate(Prompts.prompt(i), params, TokenListener.NONE);
                tokens += r.tokens().length;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("Session loop, %d threads: %d rows, %d generated tokens%n", model.threads(), n, tokens);
            System.out.printf("%.1f s: %.1f rows/s, %.1f generated tokens/s%n", seconds, n / seconds, tokens / seconds);
        }
    }
}
