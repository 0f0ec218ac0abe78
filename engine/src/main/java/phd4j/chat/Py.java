package phd4j.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's view of template values: strings, Long ints, Double floats, Boolean, null (None),
 * List, Map, {@link Undefined}. Jinja2 prints with str(), tests with truthiness and compares with
 * ==, so these follow CPython exactly where templates can see it.
 */
final class Py {
    private Py() {}

    /** A Markup as the str it is, anything else as it is: Markup is a str subclass to everything but +. */
    static Object plain(Object v) {
        return v instanceof Markup m ? m.text() : v;
    }

    static boolean truthy(Object v) {
        return switch (plain(v)) {
            case null -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** str(v); Undefined is the empty string as Jinja2 renders it. */
    static String str(Object v) {
        return switch (plain(v)) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    static String repr(Object v) {
        return switch (v) {
            case null -> "None";
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case Double d -> floatRepr(d);
            case String s -> stringRepr(s);
            case Markup m -> "Markup(" + stringRepr(m.text()) + ")";
            case Undefined u -> "";
            case List<?> l -> {
                boolean tuple = l instanceof Tuple;
                StringBuilder b = new StringBuilder(tuple ? "(" : "[");
                for (int i = 0; i < l.size(); i++) b.append(i > 0 ? ", " : "").append(repr(l.get(i)));
                if (tuple && l.size() == 1) b.append(',');
                yield b.append(tuple ? ')' : ']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder b = new StringBuilder(v instanceof Namespace ? "<Namespace {" : "{");
                boolean first = true;
                for (var e : m.entrySet()) {
                    b.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                    first = false;
                }
                yield b.append(v instanceof Namespace ? "}>" : "}").toString();
            }
            default -> v.toString();
        };
    }

    /** Python's repr of a str: single quotes unless the text has ' and no ". */
    static String stringRepr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c == q) b.append('\\').append(c);
                    else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append(q).toString();
    }

    /** repr(float): the shortest digits (Java's too), positional for exponents -4..15, else d.ddde+XX. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).longValue();
    }

    static boolean eq(Object a, Object b) {
        a = plain(a);
        b = plain(b);
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return toDouble(a) == toDouble(b);
            return toLong(a) == toLong(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (var e : x.entrySet()) if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
            return true;
        }
        return a.equals(b);
    }

    /** A template-callable value: a macro, a global function, a bound method, loop.cycle. */
    @FunctionalInterface
    interface Function {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /** One comparison of a chain: ==, !=, <, <=, >, >=, in, not in. */
    static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> eq(a, b);
            case "!=" -> !eq(a, b);
            case "<" -> order(a, b) < 0;
            case "<=" -> order(a, b) <= 0;
            case ">" -> order(a, b) > 0;
            case ">=" -> order(a, b) >= 0;
            case "in" -> contains(b, a);
            case "not in" -> !contains(b, a);
            default -> throw new IllegalStateException(op);
        };
    }

    static boolean contains(Object container, Object value) {
        Object item = plain(value);
        return switch (plain(container)) {
            case null -> throw new IllegalArgumentException("argument of type 'NoneType' is not iterable");
            case String s -> {
                if (!(item instanceof String x)) throw new IllegalArgumentException("'in <string>' requires string as left operand, not " + typeName(item));
                yield s.contains(x);
            }
            case Map<?, ?> m -> m.keySet().stream().anyMatch(k -> eq(k, item));
            case Undefined u -> false;
            default -> iterate(container).stream().anyMatch(x -> eq(x, item));
        };
    }

    static Object negate(Object v) {
        if (v instanceof Double d) return -d;
        if (isNumber(v)) return -toLong(v);
        throw new IllegalArgumentException(undefinedOr(v, "bad operand type for unary -: '" + typeName(v) + "'"));
    }

    static Object plus(Object v) {
        if (v instanceof Double) return v;
        if (isNumber(v)) return toLong(v);
        throw new IllegalArgumentException(undefinedOr(v, "bad operand type for unary +: '" + typeName(v) + "'"));
    }

    /** The message of an Undefined that is used as a value, or the given one. */
    static String undefinedOr(Object v, String otherwise) {
        return v instanceof Undefined u ? u.message() : otherwise;
    }

    /** + - * / // % ** and ~ (string concatenation) as Python and Jinja2 define them. */
    static Object arithmetic(String op, Object a, Object b) {
        if (op.equals("~")) return str(a) + str(b);
        if (op.equals("+") && a instanceof Markup m) return m.plus(b);
        if (op.equals("+") && a instanceof String x && b instanceof Markup m) return new Markup(Markup.escape(x) + m.text()); // Markup.__radd__
        a = plain(a);
        b = plain(b);
        if (a instanceof Undefined u) throw new IllegalArgumentException(u.message());
        if (b instanceof Undefined u) throw new IllegalArgumentException(u.message());
        if (isNumber(a) && isNumber(b)) return numeric(op, a, b);
        switch (op) {
            case "+" -> {
                if (a instanceof String x && b instanceof String y) return x + y;
                if (a instanceof List<?> x && b instanceof List<?> y) {
                    List<Object> r = new ArrayList<>(x);
                    r.addAll(y);
                    return r;
                }
            }
            case "*" -> {
                if (a instanceof String x && b instanceof Long n) return x.repeat((int) Math.max(0, n));
                if (a instanceof Long n && b instanceof String x) return x.repeat((int) Math.max(0, n));
                if (a instanceof List<?> x && b instanceof Long n) {
                    List<Object> r = new ArrayList<>();
                    for (long i = 0; i < n; i++) r.addAll(x);
                    return r;
                }
            }
            default -> { }
        }
        throw new IllegalArgumentException("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    private static Object numeric(String op, Object a, Object b) {
        boolean ints = !(a instanceof Double) && !(b instanceof Double);
        if (ints && !op.equals("/")) {
            long x = toLong(a), y = toLong(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "//" -> { if (y == 0) throw new ArithmeticException("integer division or modulo by zero"); yield Math.floorDiv(x, y); }
                case "%" -> { if (y == 0) throw new ArithmeticException("integer division or modulo by zero"); yield Math.floorMod(x, y); }
                case "**" -> y >= 0 ? (Object) pow(x, y) : (Object) Math.pow(x, y);
                default -> throw new IllegalStateException(op);
            };
        }
        double x = toDouble(a), y = toDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> { if (y == 0) throw new ArithmeticException("division by zero"); yield x / y; }
            case "//" -> { if (y == 0) throw new ArithmeticException("float floor division by zero"); yield Math.floor(x / y); }
            case "%" -> { if (y == 0) throw new ArithmeticException("float modulo"); yield x - y * Math.floor(x / y); }
            case "**" -> Math.pow(x, y);
            default -> throw new IllegalStateException(op);
        };
    }

    private static long pow(long base, long exp) {
        long r = 1;
        for (long i = 0; i < exp; i++) r *= base;
        return r;
    }

    /** Python's str.isspace code points: what strip() and split() without arguments remove. */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** str.strip / lstrip / rstrip: Python whitespace, or the code points of chars when given. */
    static String strip(String s, String chars, boolean left, boolean right) {
        java.util.function.IntPredicate drop = chars == null ? Py::isSpace : cp -> chars.indexOf(cp) >= 0;
        int start = 0, end = s.length();
        while (left && start < end && drop.test(s.codePointAt(start))) start += Character.charCount(s.codePointAt(start));
        while (right && end > start && drop.test(s.codePointBefore(end))) end -= Character.charCount(s.codePointBefore(end));
        return s.substring(start, end);
    }

    /** Orders a and b as Python's < does; throws for unorderable types. */
    static int order(Object a, Object b) {
        a = plain(a);
        b = plain(b);
        if (isNumber(a) && isNumber(b)) return Double.compare(toDouble(a), toDouble(b));
        if (a instanceof String x && b instanceof String y) return Integer.signum(codePointCompare(x, y));
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return order(x.get(i), y.get(i));
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new IllegalArgumentException("'<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    /** Python orders strings by code point; Java's compareTo by UTF-16 unit. */
    private static int codePointCompare(String x, String y) {
        int i = 0, j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i), b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Namespace n -> "Namespace";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Function f -> "function";
            case Generator g -> "generator";
            case Markup m -> "Markup";
            default -> v.getClass().getSimpleName();
        };
    }

    /** Items of an iterable as Python iterates them: a dict's keys, a string's characters. */
    static List<Object> iterate(Object v) {
        return switch (plain(v)) {
            case Undefined u -> List.of();
            case List<?> l -> new ArrayList<>(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case Generator g -> new ArrayList<>(g.drain());
            case String s -> {
                List<Object> chars = new ArrayList<>();
                s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
                yield chars;
            }
            case null -> throw new IllegalArgumentException("'NoneType' object is not iterable");
            default -> throw new IllegalArgumentException("'" + typeName(v) + "' object is not iterable");
        };
    }

    /** json.dumps(v, ensure_ascii=False, indent, separators, sort_keys) as transformers' tojson. */
    static void json(StringBuilder b, Object v, String indent, String itemSep, String keySep, boolean sortKeys, int depth) {
        switch (plain(v)) {
            case null -> b.append("null");
            case Boolean x -> b.append(x ? "true" : "false");
            case Long x -> b.append(x);
            case Double x -> b.append(Double.isNaN(x) ? "NaN" : Double.isInfinite(x) ? (x > 0 ? "Infinity" : "-Infinity") : floatRepr(x));
            case String s -> phd4j.json.JsonText.quote(b, s);
            case List<?> l -> {
                if (l.isEmpty()) { b.append("[]"); return; }
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(itemSep);
                    newline(b, indent, depth + 1);
                    json(b, l.get(i), indent, itemSep, keySep, sortKeys, depth + 1);
                }
                newline(b, indent, depth);
                b.append(']');
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) { b.append("{}"); return; }
                List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
                if (sortKeys) entries.sort((x, y) -> order(x.getKey(), y.getKey()));
                b.append('{');
                boolean first = true;
                for (var e : entries) {
                    if (!first) b.append(itemSep);
                    first = false;
                    newline(b, indent, depth + 1);
                    Object k = e.getKey();
                    phd4j.json.JsonText.quote(b, k instanceof String s ? s : k == null ? "null" : k instanceof Boolean x ? (x ? "true" : "false") : str(k));
                    b.append(keySep);
                    json(b, e.getValue(), indent, itemSep, keySep, sortKeys, depth + 1);
                }
                newline(b, indent, depth);
                b.append('}');
            }
            default -> throw new IllegalArgumentException("Object of type " + typeName(v) + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder b, String indent, int depth) {
        if (indent == null) return;
        b.append('\n');
        b.append(indent.repeat(depth));
    }
}
