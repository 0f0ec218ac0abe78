package phd4j;

import java.util.List;

/**
 * Holds back streamed text that might be the start of a stop string, so a listener never sees
 * part of a stop string; once one appears, releases the text before it and reports a stop.
 */
final class StopStringFilter {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStringFilter(List<String> stops) {
        this.stops = stops;
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds newly decoded text; returns what can be released now. */
    String push(String text) {
        if (stops.isEmpty()) return text;
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        String held = pending.toString();
        int keep = 0; // longest suffix of the held text that is a proper prefix of a stop string
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > keep; len--) {
                if (held.regionMatches(held.length() - len, s, 0, len)) { keep = len; break; }
            }
        }
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** End of generation: whatever is held back is released (plus the decoder's tail). */
    String finish(String tail) {
        String out = push(tail);
        if (stopped) return out;
        out += pending;
        pending.setLength(0);
        return out;
    }
}
