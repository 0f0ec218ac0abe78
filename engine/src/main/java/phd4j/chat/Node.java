package phd4j.chat;

import java.util.List;

/** The syntax tree: statements render output, expressions compute values; each knows its line. */
sealed interface Node {
    int line();

    // Statements
    record Text(String text, int line) implements Node {}
    record Output(Node expr, int line) implements Node {}
    record If(Node test, List<Node> then, List<Node> otherwise, int line) implements Node {}
    record For(List<String> targets, Node iter, Node filter, List<Node> body, List<Node> otherwise, int line) implements Node {}
    record Set(Node target, Node value, int line) implements Node {}
    record SetBlock(String target, List<Node> body, int line) implements Node {}
    record Macro(String name, List<String> params, List<Node> defaults, List<Node> body, int line) implements Node {}
    record FilterBlock(String filter, List<Node> args, List<Node> body, int line) implements Node {}
    record Break(int line) implements Node {}
    record Continue(int line) implements Node {}

    // Expressions
    record Literal(Object value, int line) implements Node {}
    record Name(String name, int line) implements Node {}
    record ListExpr(List<Node> items, int line) implements Node {}
    record TupleExpr(List<Node> items, int line) implements Node {}
    record DictExpr(List<Node> keys, List<Node> values, int line) implements Node {}
    record Attr(Node object, String name, int line) implements Node {}
    record Item(Node object, Node key, int line) implements Node {}
    record Slice(Node object, Node start, Node stop, Node step, int line) implements Node {}
    record Call(Node callee, List<Node> args, List<String> kwNames, List<Node> kwValues, int line) implements Node {}
    record Filter(Node value, String name, List<Node> args, List<String> kwNames, List<Node> kwValues, int line) implements Node {}
    record Test(Node value, String name, List<Node> args, boolean negated, int line) implements Node {}
    record Unary(String op, Node operand, int line) implements Node {}
    record Binary(String op, Node left, Node right, int line) implements Node {}
    record Compare(Node first, List<String> ops, List<Node> rest, int line) implements Node {}
    record Cond(Node test, Node then, Node otherwise, int line) implements Node {}
}
