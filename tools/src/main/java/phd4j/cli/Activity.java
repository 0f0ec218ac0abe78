package phd4j.cli;

/**
 * What the running command is doing ("loading models/x.gguf", "generating with ..."), for the one
 * line an unexpected failure or running out of memory gets: the file and the step, not a trace.
 */
final class Activity {
    private static volatile String current;

    private Activity() {}

    static void set(String what) {
        current = what;
    }

    static void clear() {
        current = null;
    }

    /** " while loading FILE", or empty before any step was named. */
    static String suffix() {
        String what = current;
        return what == null ? "" : " while " + what;
    }
}
