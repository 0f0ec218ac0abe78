package phd4j.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens with Jinja2's whitespace rules as transformers configures them:
 * trim_blocks (the newline after a block or comment tag goes), lstrip_blocks (spaces and tabs
 * before a block or comment tag on its line go, unless it opens with "+"), "-" on a delimiter
 * strips all whitespace on that side, and one trailing newline of the source is dropped.
 */
final class Lexer {
    private final String src;
    private final String name;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;

    private Lexer(String src, String name) {
        // Jinja2 joins splitlines(): line ends become \n and one trailing newline is lost.
        String s = src.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        this.src = s;
        this.name = name;
    }

    static List<Token> tokenize(String src, String name) {
        Lexer l = new Lexer(src, name);
        l.run();
        return l.out;
    }

    private void run() {
        boolean stripNext = false, trimNewline = false;
        while (pos < src.length()) {
            int open = nextTag(pos);
            String raw = src.substring(pos, open < 0 ? src.length() : open);
            String text = raw;
            if (stripNext) text = text.stripLeading();
            else if (trimNewline && text.startsWith("\n")) text = text.substring(1);
            stripNext = trimNewline = false;
            if (open < 0) {
                addText(text, raw);
                pos = src.length();
                break;
            }
            char kind = src.charAt(open + 1);
            char mod = open + 2 < src.length() ? src.charAt(open + 2) : 0;
            if (mod == '-') text = text.stripTrailing();
            else if (kind != '{' && mod != '+') text = lstrip(text, open);
            addText(text, raw);
            pos = open + 2 + (mod == '-' || mod == '+' ? 1 : 0);
            if (kind == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) throw ChatTemplateException.at(name, line, "unclosed comment");
                stripNext = src.charAt(end - 1) == '-';
                trimNewline = true;
                countLines(src.substring(open, end));
                pos = end + 2;
                continue;
            }
            if (kind == '%' && isRaw()) {
                continue;
            }
            boolean block = kind == '%';
            out.add(new Token(block ? Token.Kind.BLOCK_START : Token.Kind.VAR_START, "", line));
            stripNext = lexInside(block ? '%' : '}');
            trimNewline = block;
            out.add(new Token(block ? Token.Kind.BLOCK_END : Token.Kind.VAR_END, "", line));
        }
        out.add(new Token(Token.Kind.EOF, "", line));
    }

    /** {% raw %}...{% endraw %}: the body is text as written. */
    private boolean isRaw() {
        int p = pos;
        while (p < src.length() && Character.isWhitespace(src.charAt(p))) p++;
        if (!src.startsWith("raw", p)) return false;
        int close = src.indexOf("%}", p);
        if (close < 0 || !src.substring(p + 3, close).replace("-", "").isBlank()) return false;
        int end = src.indexOf("endraw", close);
        if (end < 0) throw ChatTemplateException.at(name, line, "unclosed raw block");
        int tagStart = src.lastIndexOf("{%", end);
        String body = src.substring(close + 2, tagStart);
        if (src.charAt(close - 1) == '-') body = body.stripLeading();
        else if (body.startsWith("\n")) body = body.substring(1);
        if (src.charAt(tagStart + 2) == '-') body = body.stripTrailing();
        addText(body, src.substring(pos, tagStart));
        pos = src.indexOf("%}", end) + 2;
        if (pos < src.length() && src.charAt(pos) == '\n') pos++;
        return true;
    }

    private int nextTag(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /**
     * lstrip_blocks: drop the spaces and tabs before the tag at {@code open} when nothing else
     * stands between it and the start of its line in the source.
     */
    private String lstrip(String text, int open) {
        int k = 0;
        while (open - k > 0 && (src.charAt(open - k - 1) == ' ' || src.charAt(open - k - 1) == '\t')) k++;
        boolean lineStart = open - k == 0 || src.charAt(open - k - 1) == '\n';
        return lineStart ? text.substring(0, Math.max(0, text.length() - k)) : text;
    }

    /** A text token as it renders; the lines are counted on the source it came from. */
    private void addText(String text, String raw) {
        if (!text.isEmpty()) out.add(new Token(Token.Kind.TEXT, text, line));
        countLines(raw);
    }

    private void countLines(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') line++;
    }

    /** Lexes up to the closing delimiter; returns whether it was "-%}" / "-}}". */
    private boolean lexInside(char closer) {
        while (true) {
            if (pos >= src.length()) throw ChatTemplateException.at(name, line, "unclosed tag");
            char c = src.charAt(pos);
            if (c == '\n') line++;
            if (Character.isWhitespace(c)) {
                pos++;
                continue;
            }
            if (c == '-' && src.startsWith(closer + "}", pos + 1)) {
                pos += 3;
                return true;
            }
            if (c == closer && src.startsWith("}", pos + 1)) {
                pos += 2;
                return false;
            }
            if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                out.add(new Token(Token.Kind.NAME, src.substring(s, pos), line));
            } else if (Character.isDigit(c)) {
                number();
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                operator();
            }
        }
    }

    private void number() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            isFloat = true;
            pos++;
            if (src.charAt(pos) == '+' || src.charAt(pos) == '-') pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
        }
        out.add(new Token(isFloat ? Token.Kind.FLOAT : Token.Kind.INT, src.substring(s, pos).replace("_", ""), line));
    }

    /** A Python string literal with its backslash escapes. */
    private void string(char quote) {
        int startLine = line;
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw ChatTemplateException.at(name, startLine, "unterminated string");
            char c = src.charAt(pos++);
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= src.length()) throw ChatTemplateException.at(name, startLine, "unterminated string");
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case '0' -> b.append('\0');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> b.append(hexEscape(4, startLine));
                case 'x' -> b.append(hexEscape(2, startLine));
                case '\\', '\'', '"' -> b.append(e);
                case '\n' -> line++;
                default -> b.append('\\').append(e);
            }
        }
        out.add(new Token(Token.Kind.STRING, b.toString(), startLine));
    }

    /** The code unit of a {@code \\uXXXX} or {@code \\xXX} escape whose digits start at pos. */
    private char hexEscape(int digits, int startLine) {
        String hex = pos + digits <= src.length() ? src.substring(pos, pos + digits) : "";
        if (!hex.matches("[0-9a-fA-F]{" + digits + "}")) throw ChatTemplateException.at(name, startLine, "truncated escape in a string");
        pos += digits;
        return (char) Integer.parseInt(hex, 16);
    }

    private static final String[] OPERATORS = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
            "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="};

    private void operator() {
        for (String op : OPERATORS) {
            if (src.startsWith(op, pos)) {
                out.add(new Token(Token.Kind.OP, op, line));
                pos += op.length();
                return;
            }
        }
        throw ChatTemplateException.at(name, line, "unexpected character '" + src.charAt(pos) + "'");
    }
}
