package phd4j.chat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Jinja2's built-in filters ({@code x|name}) and tests ({@code x is name}) that chat templates use. */
final class Filters {
    private Filters() {}

    static Object apply(String name, Object v, List<Object> args, Map<String, Object> kw, Renderer r) {
        return switch (name) {
            case "default", "d" -> {
                Object fallback = arg(args, kw, 0, "default_value", "");
                boolean bool = Py.truthy(arg(args, kw, 1, "boolean", false));
                yield v instanceof Undefined || (bool && !Py.truthy(v)) ? fallback : v;
            }
            case "length", "count" -> (long) length(v);
            case "string" -> Py.str(v);
            case "safe" -> v instanceof Markup ? v : new Markup(Py.str(v));
            case "escape", "e" -> v instanceof Markup ? v : new Markup(Markup.escape(Py.str(v)));
            case "forceescape" -> new Markup(Markup.escape(Py.str(v)));
            case "trim" -> Py.strip(Py.str(v), (String) arg(args, kw, 0, "chars", null), true, true);
            case "upper" -> Py.str(v).toUpperCase(Locale.ROOT);
            case "lower" -> Py.str(v).toLowerCase(Locale.ROOT);
            case "capitalize" -> (String) Methods.ofString(Py.str(v), "capitalize", List.of(), Map.of());
            case "title" -> Methods.title(Py.str(v));
            case "replace" -> Methods.ofString(Py.str(v), "replace", args, Map.of());
            case "wordcount" -> (long) Methods.split(Py.str(v), null, -1).size();
            case "indent" -> indent(Py.str(v), arg(args, kw, 0, "width", 4L), Py.truthy(arg(args, kw, 1, "first", false)),
                    Py.truthy(arg(args, kw, 2, "blank", false)));
            case "center" -> {
                String s = Py.str(v);
                int width = (int) Py.toLong(arg(args, kw, 0, "width", 80L)), pad = Math.max(0, width - s.length());
                int left = pad / 2 + (pad & width & 1);
                yield " ".repeat(left) + s + " ".repeat(pad - left);
            }
            case "tojson" -> tojson(v, arg(args, kw, 1, "indent", null), arg(args, kw, 2, "separators", null),
                    Py.truthy(arg(args, kw, 3, "sort_keys", false)));
            case "join" -> {
                StringBuilder b = new StringBuilder();
                String sep = Py.str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> items = Py.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    Object item = attribute == null ? items.get(i) : Access.item(items.get(i), attribute);
                    b.append(i > 0 ? sep : "").append(Py.str(item));
                }
                yield b.toString();
            }
            case "first" -> {
                List<Object> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.getFirst();
            }
            case "last" -> {
                List<Object> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.getLast();
            }
            case "list" -> Py.iterate(v);
            case "reverse" -> {
                if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
                yield Py.iterate(v).reversed();
            }
            case "items" -> {
                if (v instanceof Undefined) yield List.of();
                if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("items filter needs a mapping, got " + Py.typeName(v));
                yield Methods.ofDict(m, "items", List.of());
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("dictsort needs a mapping, got " + Py.typeName(v));
                boolean byValue = "value".equals(arg(args, kw, 1, "by", "key"));
                boolean reverse = Py.truthy(arg(args, kw, 2, "reverse", false));
                List<Object> items = new ArrayList<>((List<?>) Methods.ofDict(m, "items", List.of()));
                Comparator<Object> c = (x, y) -> Py.order(((List<?>) x).get(byValue ? 1 : 0), ((List<?>) y).get(byValue ? 1 : 0));
                items.sort(reverse ? c.reversed() : c);
                yield items;
            }
            case "sort" -> {
                boolean reverse = Py.truthy(arg(args, kw, 0, "reverse", false));
                Object attribute = arg(args, kw, 2, "attribute", null);
                List<Object> items = new ArrayList<>(Py.iterate(v));
                Comparator<Object> c = (x, y) -> Py.order(sortKey(x, attribute), sortKey(y, attribute));
                items.sort(reverse ? c.reversed() : c);
                yield items;
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) if (out.stream().noneMatch(y -> Py.eq(x, y))) out.add(x);
                yield new Generator("do_unique", out);
            }
            case "min", "max" -> {
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) yield new Undefined("No aggregated item, sequence was empty.");
                Object best = items.getFirst();
                for (Object x : items) if (name.equals("min") ? Py.order(x, best) < 0 : Py.order(x, best) > 0) best = x;
                yield best;
            }
            case "sum" -> {
                Object attribute = arg(args, kw, 0, "attribute", null);
                Object total = arg(args, kw, 1, "start", 0L);
                for (Object x : Py.iterate(v)) total = Py.arithmetic("+", total, attribute == null ? x : Access.item(x, attribute));
                yield total;
            }
            case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v));
            case "int" -> toInt(v, arg(args, kw, 0, "default", 0L));
            case "float" -> toFloat(v, arg(args, kw, 0, "default", 0.0));
            case "round" -> {
                long precision = Py.toLong(arg(args, kw, 0, "precision", 0L));
                String method = (String) arg(args, kw, 1, "method", "common");
                double scale = Math.pow(10, precision), x = Py.toDouble(v) * scale;
                double rounded = switch (method) {
                    case "ceil" -> Math.ceil(x);
                    case "floor" -> Math.floor(x);
                    default -> Math.signum(x) * Math.floor(Math.abs(x) + 0.5);
                };
                yield rounded / scale;
            }
            case "batch" -> {
                long size = Py.toLong(arg(args, kw, 0, "linecount", 1L));
                if (size <= 0) throw new IllegalArgumentException("batch size must be positive");
                List<Object> out = new ArrayList<>(), cur = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    cur.add(x);
                    if (cur.size() == size) {
                        out.add(cur);
                        cur = new ArrayList<>();
                    }
                }
                if (!cur.isEmpty()) out.add(cur);
                yield new Generator("do_batch", out);
            }
            case "attr" -> Access.attribute(v, Py.str(arg(args, kw, 0, "name", "")));
            case "map" -> new Generator("sync_do_map", map(v, args, kw, r));
            case "select", "reject", "selectattr", "rejectattr" -> new Generator("select_or_reject", select(name, v, args));
            default -> throw new IllegalArgumentException("No filter named '" + name + "'.");
        };
    }

    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> Py.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map<?, ?> && !(v instanceof Namespace);
            case "iterable" -> v instanceof String || v instanceof List<?> || v instanceof Map<?, ?> || v instanceof Undefined;
            case "sequence" -> v instanceof String || v instanceof List<?> || (v instanceof Map<?, ?> && !(v instanceof Namespace));
            case "callable" -> v instanceof Py.Function;
            case "lower" -> Py.str(v).equals(Py.str(v).toLowerCase(Locale.ROOT));
            case "upper" -> Py.str(v).equals(Py.str(v).toUpperCase(Locale.ROOT));
            case "odd" -> Py.toLong(v) % 2 != 0;
            case "even" -> Py.toLong(v) % 2 == 0;
            case "divisibleby" -> Py.toLong(v) % Py.toLong(one(name, args)) == 0;
            case "in" -> Py.contains(one(name, args), v);
            case "eq", "equalto", "==" -> Py.eq(v, one(name, args));
            case "ne", "!=" -> !Py.eq(v, one(name, args));
            case "lt", "lessthan", "<" -> Py.order(v, one(name, args)) < 0;
            case "le", "<=" -> Py.order(v, one(name, args)) <= 0;
            case "gt", "greaterthan", ">" -> Py.order(v, one(name, args)) > 0;
            case "ge", ">=" -> Py.order(v, one(name, args)) >= 0;
            case "sameas" -> v == one(name, args) || (v != null && Py.isNumber(v) && v.equals(one(name, args)));
            case "escaped" -> false;
            default -> throw new IllegalArgumentException("No test named '" + name + "'.");
        };
    }

    private static Object one(String test, List<Object> args) {
        if (args.size() != 1) throw new IllegalArgumentException("test '" + test + "' takes one argument, got " + args.size());
        return args.getFirst();
    }

    /** A filter argument given by position or keyword, or its default. */
    private static Object arg(List<Object> args, Map<String, Object> kw, int index, String keyword, Object otherwise) {
        if (index < args.size()) return args.get(index);
        return kw.getOrDefault(keyword, otherwise);
    }

    static int length(Object v) {
        return switch (Py.plain(v)) {
            case null -> throw new IllegalArgumentException("object of type 'NoneType' has no len()");
            case String s -> s.codePointCount(0, s.length());
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            default -> throw new IllegalArgumentException("object of type '" + Py.typeName(v) + "' has no len()");
        };
    }

    private static Object sortKey(Object x, Object attribute) {
        Object k = attribute == null ? x : Access.item(x, attribute);
        return k instanceof String s ? s.toLowerCase(Locale.ROOT) : k; // case_sensitive=False
    }

    /** Jinja2 3.1's indent: lines after the first get the pad unless empty (or always with blank). */
    private static String indent(String s, Object width, boolean first, boolean blank) {
        String pad = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
        List<String> lines = (s + "\n").lines().toList();
        StringBuilder b = new StringBuilder(first ? pad : "").append(lines.getFirst());
        for (String line : lines.subList(1, lines.size())) b.append('\n').append(blank || !line.isEmpty() ? pad : "").append(line);
        return b.toString();
    }

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent, separators, sort_keys). */
    private static String tojson(Object v, Object indent, Object separators, boolean sortKeys) {
        String ind = indent == null ? null : indent instanceof String s ? s : " ".repeat((int) Py.toLong(indent));
        String itemSep = ind == null ? ", " : ",", keySep = ": ";
        if (separators != null) {
            List<Object> seps = Py.iterate(separators);
            itemSep = Py.str(seps.get(0));
            keySep = Py.str(seps.get(1));
        }
        StringBuilder b = new StringBuilder();
        Py.json(b, v, ind, itemSep, keySep, sortKeys, 0);
        return b.toString();
    }

    private static Object toInt(Object v, Object fallback) {
        if (v instanceof Long || v instanceof Boolean) return Py.toLong(v);
        if (v instanceof Double d) return (long) (double) d;
        if (v instanceof String s) {
            String t = Py.strip(s, null, true, true).replace("_", "");
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(t);
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Py.isNumber(v)) return Py.toDouble(v);
        if (v instanceof String s) {
            try {
                return Double.parseDouble(Py.strip(s, null, true, true));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** map(attribute=name[, default=x]) or map('filter', args...). */
    private static List<Object> map(Object v, List<Object> args, Map<String, Object> kw, Renderer r) {
        List<Object> out = new ArrayList<>();
        if (!Py.truthy(v)) return out; // Jinja2 maps over nothing when the value is false, None included
        if (kw.containsKey("attribute")) {
            for (Object x : Py.iterate(v)) {
                Object a = Access.item(x, kw.get("attribute"));
                out.add(a instanceof Undefined && kw.containsKey("default") ? kw.get("default") : a);
            }
            return out;
        }
        if (args.isEmpty()) throw new IllegalArgumentException("map requires a filter argument");
        String filter = Py.str(args.getFirst());
        Map<String, Object> rest = new LinkedHashMap<>(kw);
        for (Object x : Py.iterate(v)) out.add(apply(filter, x, args.subList(1, args.size()), rest, r));
        return out;
    }

    /** select / reject (item tests) and selectattr / rejectattr (attribute tests). */
    private static List<Object> select(String name, Object v, List<Object> args) {
        boolean byAttribute = name.endsWith("attr");
        boolean keep = name.startsWith("select");
        if (byAttribute && args.isEmpty()) throw new IllegalArgumentException(name + " requires an attribute name");
        Object attribute = byAttribute ? args.getFirst() : null;
        int t = byAttribute ? 1 : 0;
        String test = t < args.size() ? Py.str(args.get(t)) : null;
        List<Object> testArgs = t + 1 < args.size() ? args.subList(t + 1, args.size()) : List.of();
        List<Object> out = new ArrayList<>();
        if (!Py.truthy(v)) return out; // as map: None selects nothing
        for (Object x : Py.iterate(v)) {
            Object subject = byAttribute ? Access.item(x, attribute) : x;
            boolean pass = test == null ? Py.truthy(subject) : test(test, subject, testArgs);
            if (pass == keep) out.add(x);
        }
        return out;
    }
}
