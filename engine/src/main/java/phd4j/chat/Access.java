package phd4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code x.name}, {@code x[key]} and {@code x[a:b:c]} as Jinja2's ImmutableSandboxedEnvironment
 * resolves them: an attribute is looked up on the object first (so {@code message.items} is the
 * dict method) and then as an item, a subscript the other way round; a miss is an
 * {@link Undefined} naming what was missing; methods that would change a list or dict are unsafe
 * and calling them fails with the sandbox's message.
 */
final class Access {
    private Access() {}

    private static final Set<String> STR_METHODS = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
            "startswith", "endswith", "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count", "join",
            "format", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "index");
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");
    private static final Set<String> LIST_METHODS = Set.of("index", "count");
    private static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse");
    private static final Set<String> DICT_MUTATORS = Set.of("update", "pop", "popitem", "setdefault", "clear");

    static Object attribute(Object obj, String name) {
        switch (Py.plain(obj)) {
            case null -> { }
            case Undefined u -> throw new IllegalArgumentException(u.message());
            case Namespace ns -> {
                return ns.containsKey(name) ? ns.get(name) : missing(obj, name);
            }
            case String s -> {
                if (STR_METHODS.contains(name)) return (Py.Function) (args, kw) -> Methods.ofString(s, name, args, kw);
            }
            case Map<?, ?> m -> {
                if (DICT_METHODS.contains(name)) return (Py.Function) (args, kw) -> Methods.ofDict(m, name, args);
                if (DICT_MUTATORS.contains(name)) return unsafe(obj, name);
                if (m.containsKey(name)) return m.get(name);
            }
            case List<?> l -> {
                if (LIST_METHODS.contains(name)) return (Py.Function) (args, kw) -> Methods.ofList(l, name, args);
                if (LIST_MUTATORS.contains(name)) return unsafe(obj, name);
            }
            default -> { }
        }
        return missing(obj, name);
    }

    static Object item(Object value, Object key) {
        Object obj = Py.plain(value);
        switch (obj) {
            case null -> { }
            case Undefined u -> throw new IllegalArgumentException(u.message());
            case Map<?, ?> m when !(obj instanceof Namespace) -> {
                for (var e : m.entrySet()) if (Py.eq(e.getKey(), key)) return e.getValue();
            }
            case List<?> l when key instanceof Long || key instanceof Boolean -> {
                long i = Py.toLong(key);
                if (i < 0) i += l.size();
                if (i >= 0 && i < l.size()) return l.get((int) i);
            }
            case String s when key instanceof Long || key instanceof Boolean -> {
                int[] cps = s.codePoints().toArray();
                long i = Py.toLong(key);
                if (i < 0) i += cps.length;
                if (i >= 0 && i < cps.length) return new String(cps, (int) i, 1);
            }
            default -> {
                if (key instanceof String name) return attribute(obj, name);
            }
        }
        return missing(obj, key);
    }

    static Object slice(Object obj, Object start, Object stop, Object step) {
        obj = Py.plain(obj);
        if (obj instanceof Undefined u) throw new IllegalArgumentException(u.message());
        long st = step == null ? 1 : Py.toLong(step);
        if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
        List<Object> items;
        if (obj instanceof String s) {
            items = new ArrayList<>();
            s.codePoints().forEach(cp -> items.add(new String(Character.toChars(cp))));
        } else if (obj instanceof List<?> l) {
            items = new ArrayList<>(l);
        } else {
            throw new IllegalArgumentException("'" + Py.typeName(obj) + "' object is not subscriptable");
        }
        int n = items.size();
        long lo = bound(start, n, st > 0 ? 0 : n - 1, st);
        long hi = bound(stop, n, st > 0 ? n : -1, st);
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
        if (obj instanceof String) return String.join("", out.stream().map(String.class::cast).toList());
        return out;
    }

    /** Python's slice index clamping (slice.indices). */
    private static long bound(Object v, int n, long absent, long step) {
        if (v == null) return absent;
        long i = Py.toLong(v);
        if (i < 0) i += n;
        if (step > 0) return Math.max(0, Math.min(i, n));
        return Math.max(-1, Math.min(i, n - 1));
    }

    private static Undefined missing(Object obj, Object name) {
        return new Undefined("'" + objectType(obj) + "' has no attribute " + Py.repr(name));
    }

    private static Undefined unsafe(Object obj, String name) {
        return new Undefined("access to attribute '" + name + "' of '" + Py.typeName(obj) + "' object is unsafe.");
    }

    /** Jinja2's object_type_repr: "None", "dict object", "str object". */
    private static String objectType(Object obj) {
        return obj == null ? "None" : Py.typeName(obj) + " object";
    }
}
