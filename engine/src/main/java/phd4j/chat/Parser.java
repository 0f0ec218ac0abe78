package phd4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds the syntax tree with Jinja2's grammar and operator precedence (jinja2/parser.py). */
final class Parser {
    private final List<Token> tokens;
    private final String name;
    private int pos;

    private Parser(List<Token> tokens, String name) {
        this.tokens = tokens;
        this.name = name;
    }

    static List<Node> parse(String source, String name) {
        Parser p = new Parser(Lexer.tokenize(source, name), name);
        List<Node> body = p.body(Set.of());
        if (p.peek().kind() != Token.Kind.EOF) throw p.error("unexpected '" + p.peek().text() + "'");
        return body;
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(pos++);
    }

    private ChatTemplateException error(String what) {
        return ChatTemplateException.at(name, peek().line(), what);
    }

    private void expectOp(String op) {
        if (!peek().isOp(op)) throw error("expected '" + op + "', got '" + describe(peek()) + "'");
        pos++;
    }

    private void expectName(String n) {
        if (!peek().isName(n)) throw error("expected '" + n + "', got '" + describe(peek()) + "'");
        pos++;
    }

    private String identifier() {
        if (peek().kind() != Token.Kind.NAME) throw error("expected a name, got '" + describe(peek()) + "'");
        return next().text();
    }

    private void blockEnd() {
        if (peek().kind() != Token.Kind.BLOCK_END) throw error("expected end of tag, got '" + describe(peek()) + "'");
        pos++;
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of template";
            case BLOCK_END -> "%}";
            case VAR_END -> "}}";
            default -> t.text();
        };
    }

    /** Statements up to a block tag whose keyword is in {@code enders} (left unconsumed) or the end. */
    private List<Node> body(Set<String> enders) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!enders.isEmpty()) throw error("missing end tag (one of " + String.join(", ", new java.util.TreeSet<>(enders)) + ")");
                    return nodes;
                }
                case TEXT -> nodes.add(new Node.Text(next().text(), t.line()));
                case VAR_START -> {
                    pos++;
                    Node e = expression();
                    if (peek().kind() != Token.Kind.VAR_END) throw error("expected '}}', got '" + describe(peek()) + "'");
                    pos++;
                    nodes.add(new Node.Output(e, t.line()));
                }
                case BLOCK_START -> {
                    Token kw = peek(1);
                    if (kw.kind() == Token.Kind.NAME && enders.contains(kw.text())) return nodes;
                    pos++;
                    nodes.add(statement());
                }
                default -> throw error("unexpected '" + describe(t) + "'");
            }
        }
    }

    /** Consumes "{% word" where word is the expected end or middle keyword. */
    private String tagKeyword() {
        pos++; // BLOCK_START
        return next().text();
    }

    private Node statement() {
        Token kw = peek();
        int line = kw.line();
        String word = identifier();
        switch (word) {
            case "if" -> { return ifRest(line); }
            case "for" -> {
                List<String> targets = new ArrayList<>();
                targets.add(identifier());
                while (peek().isOp(",")) {
                    pos++;
                    targets.add(identifier());
                }
                expectName("in");
                Node iter = condition(false);
                Node filter = null;
                if (peek().isName("if")) {
                    pos++;
                    filter = condition(true);
                }
                if (peek().isName("recursive")) throw error("recursive loops are not supported");
                blockEnd();
                List<Node> body = body(Set.of("else", "endfor"));
                List<Node> otherwise = List.of();
                if (tagKeyword().equals("else")) {
                    blockEnd();
                    otherwise = body(Set.of("endfor"));
                    tagKeyword();
                }
                blockEnd();
                return new Node.For(targets, iter, filter, body, otherwise, line);
            }
            case "set" -> {
                String target = identifier();
                if (peek().kind() == Token.Kind.BLOCK_END) {
                    blockEnd();
                    List<Node> body = body(Set.of("endset"));
                    tagKeyword();
                    blockEnd();
                    return new Node.SetBlock(target, body, line);
                }
                Node t = new Node.Name(target, line);
                if (peek().isOp(".")) {
                    pos++;
                    t = new Node.Attr(t, identifier(), line);
                } else if (peek().isOp(",")) {
                    List<Node> names = new ArrayList<>(List.of(t));
                    while (peek().isOp(",")) {
                        pos++;
                        names.add(new Node.Name(identifier(), line));
                    }
                    t = new Node.TupleExpr(names, line);
                }
                expectOp("=");
                Node value = tupleOrExpression();
                blockEnd();
                return new Node.Set(t, value, line);
            }
            case "macro" -> {
                String macro = identifier();
                List<String> params = new ArrayList<>();
                List<Node> defaults = new ArrayList<>();
                expectOp("(");
                while (!peek().isOp(")")) {
                    if (!params.isEmpty()) expectOp(",");
                    if (peek().isOp(")")) break;
                    params.add(identifier());
                    if (peek().isOp("=")) {
                        pos++;
                        defaults.add(expression());
                    } else {
                        defaults.add(null);
                    }
                }
                pos++;
                blockEnd();
                List<Node> body = body(Set.of("endmacro"));
                tagKeyword();
                blockEnd();
                return new Node.Macro(macro, params, defaults, body, line);
            }
            case "filter" -> {
                String filter = identifier();
                List<Node> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    while (!peek().isOp(")")) {
                        if (!args.isEmpty()) expectOp(",");
                        args.add(expression());
                    }
                    pos++;
                }
                blockEnd();
                List<Node> body = body(Set.of("endfilter"));
                tagKeyword();
                blockEnd();
                return new Node.FilterBlock(filter, args, body, line);
            }
            case "generation" -> {
                // transformers' AssistantTracker: the body renders as is (it only records offsets).
                blockEnd();
                List<Node> body = body(Set.of("endgeneration"));
                tagKeyword();
                blockEnd();
                return new Node.If(new Node.Literal(true, line), body, List.of(), line);
            }
            case "break" -> { blockEnd(); return new Node.Break(line); }
            case "continue" -> { blockEnd(); return new Node.Continue(line); }
            default -> throw ChatTemplateException.at(name, line, "unknown tag '" + word + "'");
        }
    }

    private Node ifRest(int line) {
        Node test = expression();
        blockEnd();
        List<Node> then = body(Set.of("elif", "else", "endif"));
        int tagLine = peek().line();
        String kw = tagKeyword();
        List<Node> otherwise = List.of();
        if (kw.equals("elif")) {
            otherwise = List.of(ifRest(tagLine));
            return new Node.If(test, then, otherwise, line);
        }
        if (kw.equals("else")) {
            blockEnd();
            otherwise = body(Set.of("endif"));
            tagKeyword();
        }
        blockEnd();
        return new Node.If(test, then, otherwise, line);
    }

    /** An expression, or a bare tuple "a, b" as Jinja allows on the right of set. */
    private Node tupleOrExpression() {
        int line = peek().line();
        Node first = expression();
        if (!peek().isOp(",")) return first;
        List<Node> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            pos++;
            items.add(expression());
        }
        return new Node.TupleExpr(items, line);
    }

    Node expression() {
        return condition(true);
    }

    /** The ternary "a if b else c"; {@code withCond} false for a for loop's iterable, whose "if" filters. */
    private Node condition(boolean withCond) {
        Node expr = or();
        while (withCond && peek().isName("if")) {
            int line = next().line();
            Node test = or();
            Node otherwise = null;
            if (peek().isName("else")) {
                pos++;
                otherwise = condition(true);
            }
            expr = new Node.Cond(test, expr, otherwise, line);
        }
        return expr;
    }

    /**
     * Binary operators from loosest to tightest, all left-associative; "not" and the comparisons
     * sit between "and" and "+", and unary minus binds tighter than all of them.
     */
    private static final List<Set<String>> LEVELS = List.of(
            Set.of("or"), Set.of("and"), Set.of(), Set.of("+", "-"), Set.of("~"), Set.of("*", "/", "//", "%"), Set.of("**"));
    private static final int NOT_LEVEL = 2;

    private Node or() {
        return binary(0);
    }

    private Node binary(int level) {
        if (level == LEVELS.size()) return unary(true);
        if (level == NOT_LEVEL) return not();
        Node left = binary(level + 1);
        while ((peek().kind() == Token.Kind.OP || peek().kind() == Token.Kind.NAME) && LEVELS.get(level).contains(peek().text())) {
            Token op = next();
            left = new Node.Binary(op.text(), left, binary(level + 1), op.line());
        }
        return left;
    }

    private Node not() {
        if (peek().isName("not")) {
            int line = next().line();
            return new Node.Unary("not", not(), line);
        }
        return compare();
    }

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private Node compare() {
        int line = peek().line();
        Node first = binary(NOT_LEVEL + 1);
        List<String> ops = new ArrayList<>();
        List<Node> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Token.Kind.OP && COMPARE_OPS.contains(t.text())) {
                pos++;
                ops.add(t.text());
            } else if (t.isName("in")) {
                pos++;
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                pos += 2;
                ops.add("not in");
            } else {
                break;
            }
            rest.add(binary(NOT_LEVEL + 1));
        }
        return ops.isEmpty() ? first : new Node.Compare(first, ops, rest, line);
    }

    private Node unary(boolean withFilter) {
        Token t = peek();
        Node node;
        if (t.isOp("-") || t.isOp("+")) {
            pos++;
            node = new Node.Unary(t.text(), unary(false), t.line());
        } else {
            node = postfix(primary());
        }
        return withFilter ? filters(node) : node;
    }

    private Node primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Node.Literal(Boolean.TRUE, t.line());
                    case "false", "False" -> new Node.Literal(Boolean.FALSE, t.line());
                    case "none", "None" -> new Node.Literal(null, t.line());
                    default -> new Node.Name(t.text(), t.line());
                };
            }
            case STRING -> {
                StringBuilder b = new StringBuilder(t.text());
                while (peek().kind() == Token.Kind.STRING) b.append(next().text()); // adjacent literals join
                return new Node.Literal(b.toString(), t.line());
            }
            case INT -> { return new Node.Literal(Long.parseLong(t.text()), t.line()); }
            case FLOAT -> { return new Node.Literal(Double.parseDouble(t.text()), t.line()); }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            pos++;
                            return new Node.TupleExpr(List.of(), t.line());
                        }
                        Node e = expression();
                        if (peek().isOp(",")) {
                            List<Node> items = new ArrayList<>(List.of(e));
                            while (peek().isOp(",")) {
                                pos++;
                                if (peek().isOp(")")) break;
                                items.add(expression());
                            }
                            e = new Node.TupleExpr(items, t.line());
                        }
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Node> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (peek().isOp("]")) break;
                            items.add(expression());
                        }
                        pos++;
                        return new Node.ListExpr(items, t.line());
                    }
                    case "{" -> {
                        List<Node> keys = new ArrayList<>(), values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (peek().isOp("}")) break;
                            keys.add(expression());
                            expectOp(":");
                            values.add(expression());
                        }
                        pos++;
                        return new Node.DictExpr(keys, values, t.line());
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        pos--;
        throw error("unexpected '" + describe(t) + "'");
    }

    private Node postfix(Node node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                pos++;
                Token n = next();
                if (n.kind() == Token.Kind.INT) node = new Node.Item(node, new Node.Literal(Long.parseLong(n.text()), n.line()), t.line());
                else if (n.kind() == Token.Kind.NAME) node = new Node.Attr(node, n.text(), t.line());
                else { pos--; throw error("expected an attribute name"); }
            } else if (t.isOp("[")) {
                pos++;
                node = subscript(node, t.line());
            } else if (t.isOp("(")) {
                pos++;
                node = call(node, t.line());
            } else {
                return node;
            }
        }
    }

    private Node subscript(Node object, int line) {
        Node start = null, stop = null, step = null;
        boolean slice = false;
        if (!peek().isOp(":")) start = expression();
        if (peek().isOp(":")) {
            slice = true;
            pos++;
            if (!peek().isOp("]") && !peek().isOp(":")) stop = expression();
            if (peek().isOp(":")) {
                pos++;
                if (!peek().isOp("]")) step = expression();
            }
        }
        expectOp("]");
        return slice ? new Node.Slice(object, start, stop, step, line) : new Node.Item(object, start, line);
    }

    private record Args(List<Node> args, List<String> kwNames, List<Node> kwValues) {}

    private Args arguments() {
        List<Node> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Node> kwValues = new ArrayList<>();
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) expectOp(",");
            first = false;
            if (peek().isOp(")")) break;
            if (peek().kind() == Token.Kind.NAME && peek(1).isOp("=")) {
                kwNames.add(next().text());
                pos++;
                kwValues.add(expression());
            } else {
                args.add(expression());
            }
        }
        pos++;
        return new Args(args, kwNames, kwValues);
    }

    private Node call(Node callee, int line) {
        Args a = arguments();
        return new Node.Call(callee, a.args, a.kwNames, a.kwValues, line);
    }

    private Node filters(Node node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                pos++;
                String f = identifier();
                while (peek().isOp(".")) { pos++; f += "." + identifier(); }
                Args a = peek().isOp("(") ? argsAfterParen() : new Args(List.of(), List.of(), List.of());
                node = new Node.Filter(node, f, a.args, a.kwNames, a.kwValues, t.line());
            } else if (t.isName("is")) {
                pos++;
                boolean negated = false;
                if (peek().isName("not")) {
                    pos++;
                    negated = true;
                }
                String test = identifier();
                List<Node> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    args.addAll(argsAfterParen().args);
                } else if (startsTestArgument(peek())) {
                    args.add(postfix(primary()));
                }
                node = new Node.Test(node, test, args, negated, t.line());
            } else if (t.isOp("(")) {
                pos++;
                node = call(node, t.line());
            } else {
                return node;
            }
        }
    }

    /** Jinja2 takes one argument without parentheses: "x is divisibleby 3", "x is equalto y". */
    private static boolean startsTestArgument(Token t) {
        return switch (t.kind()) {
            case NAME -> !Set.of("else", "or", "and", "if", "is", "not", "in").contains(t.text());
            case STRING, INT, FLOAT -> true;
            case OP -> t.text().equals("[") || t.text().equals("{") || t.text().equals("-");
            default -> false;
        };
    }

    private Args argsAfterParen() {
        pos++;
        return arguments();
    }
}
