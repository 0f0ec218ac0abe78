package phd4j.chat;

/** One lexical unit of a template: raw text, or a name, literal or operator inside a tag. */
record Token(Kind kind, String text, int line) {
    enum Kind { TEXT, BLOCK_START, BLOCK_END, VAR_START, VAR_END, NAME, STRING, INT, FLOAT, OP, EOF }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isName(String t) {
        return is(Kind.NAME, t);
    }

    boolean isOp(String t) {
        return is(Kind.OP, t);
    }
}
