package phd4j.chat;

/** Jinja2's default Undefined: renders empty, is false, iterates as nothing, fails on most use. */
record Undefined(String hint) {
    String message() {
        return hint;
    }
}
