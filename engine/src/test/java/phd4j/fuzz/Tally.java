package phd4j.fuzz;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Outcomes of a fuzz campaign: counts per class, the clean errors by kind, and the first failures in full. */
final class Tally {
    enum Outcome {
        /** Refused with the documented exception, one line naming the file. */
        CLEAN,
        /** Loaded and ran (or, for a tokenizer, encoded and decoded). */
        RAN,
        /** Any other exception or Error, or a documented one that breaks its one-line promise. */
        UNCLEAN,
        /** Did not finish within the time a case is allowed. */
        HANG
    }

    private static final int EXAMPLES = 20;

    private final Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
    private final Map<String, Long> cleanKinds = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    synchronized void clean(String kind) {
        add(Outcome.CLEAN);
        cleanKinds.merge(kind, 1L, Long::sum);
    }

    synchronized void ran() {
        add(Outcome.RAN);
    }

    synchronized void failed(Outcome outcome, String description) {
        add(outcome);
        if (failures.size() < EXAMPLES) failures.add(outcome + " " + description);
    }

    private void add(Outcome o) {
        counts.merge(o, 1L, Long::sum);
    }

    synchronized long count(Outcome o) {
        return counts.getOrDefault(o, 0L);
    }

    synchronized long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    /** A few lines: the counts, the most frequent clean errors, and the first failures. */
    synchronized String report(String target, int kinds) {
        StringBuilder b = new StringBuilder(target + ": " + total() + " cases:");
        for (Outcome o : Outcome.values()) b.append(' ').append(o.name().toLowerCase()).append(' ').append(count(o));
        b.append('\n');
        cleanKinds.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(kinds)
                .forEach(e -> b.append(String.format("  %7d  %s%n", e.getValue(), e.getKey())));
        if (cleanKinds.size() > kinds) b.append("  (").append(cleanKinds.size() - kinds).append(" more kinds of clean error)\n");
        for (String f : failures) b.append("  ").append(f).append('\n');
        return b.toString();
    }

    /** A clean error's kind: the message without the file, with numbers and quoted text generalised. */
    static String kind(String message, String path) {
        String m = message.startsWith(path) ? message.substring(path.length()).replaceFirst("^: ", "") : message;
        m = m.replaceAll("'[^']*'", "'…'").replaceAll("\\d+", "N");
        return m.length() > 110 ? m.substring(0, 110) + "…" : m;
    }

    /** An exception as one line: class, message, and where it was thrown in phd4j. */
    static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(e.getClass().getName());
        if (e.getMessage() != null) b.append(": ").append(e.getMessage().lines().findFirst().orElse(""));
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("phd4j.") && !f.getClassName().startsWith("phd4j.fuzz.")) {
                b.append(" at ").append(f.getClassName()).append('.').append(f.getMethodName()).append(':').append(f.getLineNumber());
                break;
            }
        }
        return b.toString();
    }
}
