package phd4j.cli;

import java.io.PrintWriter;
import phd4j.convert.Progress;

/**
 * Progress of a long write on stderr. On a terminal one line redrawn in place (at most ten times
 * a second); otherwise (a log, a pipe) a plain line at every tenth, so logs stay short and readable.
 * The launcher tells whether stderr is a terminal (the JVM cannot: it sees the launcher's pipe).
 */
final class ProgressBar implements Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private final java.util.function.LongFunction<String> unit;
    private long lastDraw;
    private int lastTenth = -1;
    private boolean drawn;

    ProgressBar(PrintWriter err, String label) {
        this(err, label, Boolean.getBoolean("phd.stderr.terminal"));
    }

    ProgressBar(PrintWriter err, String label, boolean terminal) {
        this(err, label, terminal, InfoCommand::bytes);
    }

    /** A bar counting other things than bytes: {@code unit} formats a count (e.g. "1200 merges"). */
    ProgressBar(PrintWriter err, String label, java.util.function.LongFunction<String> unit) {
        this(err, label, Boolean.getBoolean("phd.stderr.terminal"), unit);
    }

    ProgressBar(PrintWriter err, String label, boolean terminal, java.util.function.LongFunction<String> unit) {
        this.err = err;
        this.label = label;
        this.terminal = terminal;
        this.unit = unit;
    }

    @Override
    public void update(long done, long total, String tensor) {
        double f = total > 0 ? (double) done / total : 1;
        if (terminal) {
            long now = System.nanoTime();
            if (drawn && done < total && now - lastDraw < 100_000_000L) return;
            lastDraw = now;
            drawn = true;
            int filled = (int) (f * WIDTH);
            // \r returns to the line's start, ESC[K clears what a longer previous line left
            err.printf("\r%s %3d%% [%s%s] %s / %s  %s\u001b[K", label, (int) (f * 100), "#".repeat(filled), ".".repeat(WIDTH - filled),
                    unit.apply(done), unit.apply(total), tensor);
            err.flush();
        } else {
            int tenth = (int) (f * 10);
            if (tenth == lastTenth) return;
            lastTenth = tenth;
            err.printf("%s %3d%% (%s of %s)%n", label, tenth * 10, unit.apply(done), unit.apply(total));
            err.flush();
        }
    }

    /** Ends the redrawn line, so that what follows starts on a line of its own. */
    void finish() {
        if (terminal && drawn) {
            err.println();
            err.flush();
        }
    }
}
