package phd4j.chat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template over its variables, with Jinja2's semantics where chat templates can
 * see them: a for loop's body is a fresh scope each iteration (so a plain {@code set} inside it
 * is gone afterwards, which is why templates use {@code namespace}), {@code if} opens no scope,
 * a macro sees the template's top level and its own arguments.
 */
final class Renderer {
    private final String name;

    Renderer(String name) {
        this.name = name;
    }

    /** What a statement list ends with: normally, or at a {@code break} / {@code continue}. */
    private enum Flow { NORMAL, BREAK, CONTINUE }

    /** Variables of one scope; lookups fall through to the enclosing ones. */
    static final class Scope {
        private final Map<String, Object> vars = new HashMap<>();
        private final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object get(String key) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(key)) return s.vars.get(key);
            }
            return new Undefined("'" + key + "' is undefined");
        }

        void put(String key, Object value) {
            vars.put(key, value);
        }

        Scope root() {
            Scope s = this;
            while (s.parent != null) s = s.parent;
            return s;
        }
    }

    void render(List<Node> body, Scope scope, StringBuilder out) {
        exec(body, scope, out);
    }

    private Flow exec(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node n : nodes) {
            Flow f = exec(n, scope, out);
            if (f != Flow.NORMAL) return f;
        }
        return Flow.NORMAL;
    }

    private Flow exec(Node node, Scope scope, StringBuilder out) {
        try {
            switch (node) {
                case Node.Text t -> out.append(t.text());
                case Node.Output o -> out.append(Py.str(eval(o.expr(), scope)));
                case Node.If i -> { return exec(Py.truthy(eval(i.test(), scope)) ? i.then() : i.otherwise(), scope, out); }
                case Node.For f -> forLoop(f, scope, out);
                case Node.Set s -> assign(s.target(), eval(s.value(), scope), scope, s.line());
                case Node.SetBlock s -> scope.put(s.target(), capture(s.body(), scope));
                case Node.Macro m -> scope.put(m.name(), macro(m, scope));
                case Node.FilterBlock f -> {
                    List<Object> args = new ArrayList<>();
                    for (Node a : f.args()) args.add(eval(a, scope));
                    out.append(Py.str(Filters.apply(f.filter(), capture(f.body(), scope), args, Map.of(), this)));
                }
                case Node.Break b -> { return Flow.BREAK; }
                case Node.Continue c -> { return Flow.CONTINUE; }
                default -> throw new IllegalStateException("not a statement: " + node);
            }
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
            throw ChatTemplateException.at(name, node.line(), e.getMessage());
        }
        return Flow.NORMAL;
    }

    private String capture(List<Node> body, Scope scope) {
        StringBuilder b = new StringBuilder();
        exec(body, scope, b);
        return b.toString();
    }

    private void assign(Node target, Object value, Scope scope, int line) {
        switch (target) {
            case Node.Name n -> scope.put(n.name(), value);
            case Node.Attr a -> {
                if (!(eval(a.object(), scope) instanceof Namespace ns)) {
                    throw ChatTemplateException.at(name, line, "cannot assign attribute on non-namespace object");
                }
                ns.put(a.name(), value);
            }
            case Node.TupleExpr t -> {
                List<Object> items = Py.iterate(value);
                if (items.size() != t.items().size()) {
                    throw new IllegalArgumentException("cannot unpack " + items.size() + " values into " + t.items().size());
                }
                for (int i = 0; i < items.size(); i++) assign(t.items().get(i), items.get(i), scope, line);
            }
            default -> throw ChatTemplateException.at(name, line, "cannot assign to this expression");
        }
    }

    private void forLoop(Node.For f, Scope scope, StringBuilder out) {
        List<Object> items = new ArrayList<>();
        for (Object item : Py.iterate(eval(f.iter(), scope))) {
            if (f.filter() != null) {
                Scope probe = new Scope(scope);
                bind(f.targets(), item, probe);
                if (!Py.truthy(eval(f.filter(), probe))) continue;
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            exec(f.otherwise(), scope, out);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            Scope body = new Scope(scope);
            bind(f.targets(), items.get(i), body);
            body.put("loop", loop(items, i));
            if (exec(f.body(), body, out) == Flow.BREAK) break;
        }
    }

    private static void bind(List<String> targets, Object item, Scope scope) {
        if (targets.size() == 1) {
            scope.put(targets.get(0), item);
            return;
        }
        List<Object> parts = Py.iterate(item);
        if (parts.size() != targets.size()) {
            throw new IllegalArgumentException("cannot unpack " + parts.size() + " values into " + targets.size() + " loop variables");
        }
        for (int i = 0; i < parts.size(); i++) scope.put(targets.get(i), parts.get(i));
    }

    /** Jinja2's {@code loop} object. */
    private static Map<String, Object> loop(List<Object> items, int i) {
        int n = items.size();
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("depth", 1L);
        loop.put("depth0", 0L);
        loop.put("previtem", i > 0 ? items.get(i - 1) : new Undefined("there is no previous item"));
        loop.put("nextitem", i < n - 1 ? items.get(i + 1) : new Undefined("there is no next item"));
        loop.put("cycle", (Py.Function) (args, kw) -> {
            if (args.isEmpty()) throw new IllegalArgumentException("no items for cycling given");
            return args.get(i % args.size());
        });
        return loop;
    }

    private Py.Function macro(Node.Macro m, Scope definedIn) {
        Scope top = definedIn.root();
        return (args, kw) -> {
            Scope s = new Scope(top);
            for (int p = 0; p < m.params().size(); p++) {
                String param = m.params().get(p);
                Object v;
                if (p < args.size()) v = args.get(p);
                else if (kw.containsKey(param)) v = kw.get(param);
                else if (m.defaults().get(p) != null) v = eval(m.defaults().get(p), s);
                else v = new Undefined("parameter '" + param + "' was not provided");
                s.put(param, v);
            }
            for (String k : kw.keySet()) {
                if (!m.params().contains(k)) throw new IllegalArgumentException("macro '" + m.name() + "' takes no keyword argument '" + k + "'");
            }
            if (args.size() > m.params().size()) throw new IllegalArgumentException("macro '" + m.name() + "' takes not more than " + m.params().size() + " argument(s)");
            return capture(m.body(), s);
        };
    }

    Object eval(Node node, Scope scope) {
        try {
            return evaluate(node, scope);
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
            throw ChatTemplateException.at(name, node.line(), e.getMessage());
        }
    }

    private Object evaluate(Node node, Scope scope) {
        return switch (node) {
            case Node.Literal l -> l.value();
            case Node.Name n -> scope.get(n.name());
            case Node.ListExpr l -> {
                List<Object> items = new ArrayList<>();
                for (Node i : l.items()) items.add(eval(i, scope));
                yield items;
            }
            case Node.TupleExpr t -> {
                List<Object> items = new ArrayList<>();
                for (Node i : t.items()) items.add(eval(i, scope));
                yield new Tuple(items);
            }
            case Node.DictExpr d -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) m.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                yield m;
            }
            case Node.Attr a -> Access.attribute(eval(a.object(), scope), a.name());
            case Node.Item i -> Access.item(eval(i.object(), scope), eval(i.key(), scope));
            case Node.Slice s -> Access.slice(eval(s.object(), scope), optional(s.start(), scope), optional(s.stop(), scope), optional(s.step(), scope));
            case Node.Call c -> {
                Object callee = eval(c.callee(), scope);
                List<Object> args = new ArrayList<>();
                for (Node a : c.args()) args.add(eval(a, scope));
                yield call(callee, args, keywords(c.kwNames(), c.kwValues(), scope));
            }
            case Node.Filter f -> {
                List<Object> args = new ArrayList<>();
                for (Node a : f.args()) args.add(eval(a, scope));
                yield Filters.apply(f.name(), eval(f.value(), scope), args, keywords(f.kwNames(), f.kwValues(), scope), this);
            }
            case Node.Test t -> {
                List<Object> args = new ArrayList<>();
                for (Node a : t.args()) args.add(eval(a, scope));
                yield Filters.test(t.name(), eval(t.value(), scope), args) != t.negated();
            }
            case Node.Unary u -> {
                Object v = eval(u.operand(), scope);
                yield switch (u.op()) {
                    case "not" -> !Py.truthy(v);
                    case "-" -> Py.negate(v);
                    default -> Py.plus(v);
                };
            }
            case Node.Binary b -> switch (b.op()) {
                case "and" -> {
                    Object left = eval(b.left(), scope);
                    yield Py.truthy(left) ? eval(b.right(), scope) : left;
                }
                case "or" -> {
                    Object left = eval(b.left(), scope);
                    yield Py.truthy(left) ? left : eval(b.right(), scope);
                }
                default -> Py.arithmetic(b.op(), eval(b.left(), scope), eval(b.right(), scope));
            };
            case Node.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    if (!Py.compare(c.ops().get(i), left, right)) yield false;
                    left = right;
                }
                yield true;
            }
            case Node.Cond c -> Py.truthy(eval(c.test(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("the inline if-expression evaluated to false and no else section was defined")
                    : eval(c.otherwise(), scope);
            default -> throw new IllegalStateException("not an expression: " + node);
        };
    }

    private Object optional(Node n, Scope scope) {
        return n == null ? null : eval(n, scope);
    }

    private Map<String, Object> keywords(List<String> names, List<Node> values, Scope scope) {
        if (names.isEmpty()) return Map.of();
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) kw.put(names.get(i), eval(values.get(i), scope));
        return kw;
    }

    static Object call(Object callee, List<Object> args, Map<String, Object> kw) {
        return switch (callee) {
            case null -> throw new IllegalArgumentException("'NoneType' object is not callable");
            case Py.Function f -> f.call(args, kw);
            case Undefined u -> throw new IllegalArgumentException(u.message());
            default -> throw new IllegalArgumentException("'" + Py.typeName(callee) + "' object is not callable");
        };
    }
}
