package phd4j.chat;

/**
 * markupsafe's Markup, what {@code |safe} and {@code |escape} return even with autoescape off: a
 * string that escapes whatever plain string is added to it ({@code "x"|safe + s}, as a real
 * template writes), while a plain string plus Markup stays plain.
 */
record Markup(String text) {
    Markup plus(Object other) {
        return switch (other) {
            case null -> throw new IllegalArgumentException("unsupported operand type(s) for +: 'Markup' and 'NoneType'");
            case Markup m -> new Markup(text + m.text);
            case String s -> new Markup(text + escape(s));
            default -> throw new IllegalArgumentException("unsupported operand type(s) for +: 'Markup' and '" + Py.typeName(other) + "'");
        };
    }

    /** markupsafe.escape */
    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
