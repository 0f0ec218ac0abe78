package phd4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The str, dict and list methods the sandbox lets templates call, with Python's results. */
final class Methods {
    private Methods() {}

    static Object ofString(String s, String name, List<Object> args, Map<String, Object> kw) {
        return switch (name) {
            case "strip" -> Py.strip(s, optionalString(args, 0), true, true);
            case "lstrip" -> Py.strip(s, optionalString(args, 0), true, false);
            case "rstrip" -> Py.strip(s, optionalString(args, 0), false, true);
            case "split" -> split(s, optionalString(args, 0), args.size() > 1 ? Py.toLong(args.get(1)) : -1);
            case "rsplit" -> rsplit(s, optionalString(args, 0), args.size() > 1 ? Py.toLong(args.get(1)) : -1);
            case "splitlines" -> List.copyOf(s.lines().map(Object.class::cast).toList());
            case "startswith" -> affix(s, args, true);
            case "endswith" -> affix(s, args, false);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT) + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, string(args, 0), string(args, 1), args.size() > 2 ? Py.toLong(args.get(2)) : -1);
            case "find" -> (long) codePointIndex(s, s.indexOf(string(args, 0)));
            case "rfind" -> (long) codePointIndex(s, s.lastIndexOf(string(args, 0)));
            case "index" -> {
                int i = s.indexOf(string(args, 0));
                if (i < 0) throw new IllegalArgumentException("substring not found");
                yield (long) codePointIndex(s, i);
            }
            case "count" -> {
                String sub = string(args, 0);
                if (sub.isEmpty()) yield (long) s.codePointCount(0, s.length()) + 1;
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
                yield n;
            }
            case "join" -> {
                StringBuilder b = new StringBuilder();
                List<Object> items = Py.iterate(args.isEmpty() ? null : args.get(0));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) throw new IllegalArgumentException("sequence item " + i + ": expected str instance, " + Py.typeName(items.get(i)) + " found");
                    b.append(i > 0 ? s : "").append(item);
                }
                yield b.toString();
            }
            case "format" -> format(s, args, kw);
            case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(Py::isSpace);
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            default -> throw new IllegalStateException(name);
        };
    }

    static Object ofDict(Map<?, ?> m, String name, List<Object> args) {
        return switch (name) {
            case "items" -> {
                List<Object> items = new ArrayList<>();
                m.forEach((k, v) -> items.add(Tuple.of(k, v)));
                yield items;
            }
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "get" -> {
                if (args.isEmpty()) throw new IllegalArgumentException("get expected at least 1 argument, got 0");
                for (var e : m.entrySet()) if (Py.eq(e.getKey(), args.get(0))) yield e.getValue();
                yield args.size() > 1 ? args.get(1) : null;
            }
            default -> throw new IllegalStateException(name);
        };
    }

    static Object ofList(List<?> l, String name, List<Object> args) {
        if (args.isEmpty()) throw new IllegalArgumentException(name + "() takes exactly one argument (0 given)");
        Object x = args.get(0);
        return switch (name) {
            case "index" -> {
                for (int i = 0; i < l.size(); i++) if (Py.eq(l.get(i), x)) yield (long) i;
                throw new IllegalArgumentException(Py.repr(x) + " is not in list");
            }
            case "count" -> l.stream().filter(e -> Py.eq(e, x)).count();
            default -> throw new IllegalStateException(name);
        };
    }

    private static String string(List<Object> args, int i) {
        if (i >= args.size() || !(args.get(i) instanceof String s)) {
            throw new IllegalArgumentException("expected a string as argument " + (i + 1));
        }
        return s;
    }

    private static String optionalString(List<Object> args, int i) {
        return i < args.size() && args.get(i) != null ? string(args, i) : null;
    }

    private static int codePointIndex(String s, int utf16) {
        return utf16 < 0 ? -1 : s.codePointCount(0, utf16);
    }

    private static boolean affix(String s, List<Object> args, boolean prefix) {
        Object a = args.isEmpty() ? null : args.get(0);
        List<Object> options = a instanceof List<?> l ? new ArrayList<>(l) : List.of(string(args, 0));
        for (Object o : options) {
            if (!(o instanceof String x)) throw new IllegalArgumentException("expected a string or a tuple of strings");
            if (prefix ? s.startsWith(x) : s.endsWith(x)) return true;
        }
        return false;
    }

    /** str.split: on runs of whitespace dropping empty ends when sep is None, else on each sep. */
    static List<Object> split(String s, String sep, long max) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (max >= 0 && out.size() == max) {
                    out.add(Py.strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        for (int i = s.indexOf(sep); i >= 0 && (max < 0 || out.size() < max); i = s.indexOf(sep, from)) {
            out.add(s.substring(from, i));
            from = i + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<Object> rsplit(String s, String sep, long max) {
        if (max < 0 || sep == null) {
            if (max >= 0) throw new IllegalArgumentException("rsplit with maxsplit and no separator is not supported");
            return split(s, sep, max);
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<Object> out = new ArrayList<>();
        int to = s.length();
        for (int i = s.lastIndexOf(sep, to - sep.length()); i >= 0 && out.size() < max; i = s.lastIndexOf(sep, to - sep.length())) {
            out.addFirst(s.substring(i + sep.length(), to));
            to = i;
        }
        out.addFirst(s.substring(0, to));
        return out;
    }

    private static String replace(String s, String old, String with, long count) {
        if (count < 0) return s.replace(old, with);
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int i = s.indexOf(old, from);
            if (i < 0) break;
            b.append(s, from, i).append(with);
            from = i + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) b.append(s.charAt(from));
                from++;
            }
        }
        if (from <= s.length()) b.append(s.substring(Math.min(from, s.length())));
        return b.toString();
    }

    /** str.title: a cased letter after an uncased character starts a word. */
    static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String c = new String(Character.toChars(cp));
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            b.append(inWord ? c.toLowerCase(Locale.ROOT) : c.toUpperCase(Locale.ROOT));
            inWord = cased;
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    /** str.format with {}, {0} and {name} fields (no format specs). */
    private static String format(String s, List<Object> args, Map<String, Object> kw) {
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < s.length() && s.charAt(i + 1) == c) {
                b.append(c);
                i++;
            } else if (c == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) throw new IllegalArgumentException("Single '{' encountered in format string");
                String field = s.substring(i + 1, end);
                if (field.contains(":") || field.contains("!")) throw new IllegalArgumentException("format specs are not supported: {" + field + "}");
                Object v;
                if (field.isEmpty()) v = arg(args, auto++);
                else if (field.chars().allMatch(Character::isDigit)) v = arg(args, Integer.parseInt(field));
                else if (kw.containsKey(field)) v = kw.get(field);
                else throw new IllegalArgumentException("KeyError: " + Py.repr(field));
                b.append(Py.str(v));
                i = end;
            } else if (c == '}') {
                throw new IllegalArgumentException("Single '}' encountered in format string");
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static Object arg(List<Object> args, int i) {
        if (i >= args.size()) throw new IllegalArgumentException("Replacement index " + i + " out of range for positional args tuple");
        return args.get(i);
    }
}
