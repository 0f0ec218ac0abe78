package phd4j.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) while a chat reply streams: ends the reply instead of the program. The JDK has
 * no public API for this; jdk.unsupported's Signal is the one every JVM CLI uses. Where the
 * signal cannot be caught (some platforms, some launchers) Ctrl-C keeps its default: it quits.
 */
final class StopOnInterrupt {
    private static SignalHandler previous;

    private StopOnInterrupt() {}

    static synchronized void install(Runnable onInterrupt) {
        try {
            previous = Signal.handle(new Signal("INT"), sig -> onInterrupt.run());
        } catch (IllegalArgumentException unsupported) {
            previous = null;
        }
    }

    static synchronized void uninstall() {
        if (previous != null) Signal.handle(new Signal("INT"), previous);
        previous = null;
    }
}
