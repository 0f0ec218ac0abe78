package phd4j.cli;

/** Entry point of the {@code phd} command line. */
public final class Main {
    public static void main(String[] args) {
        System.out.println("phd4j: no commands yet");
    }
}
