package phd4j.chat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's chat template ({@code tokenizer.chat_template}), rendered the way Hugging Face
 * transformers' {@code apply_chat_template} renders it: Jinja2's sandbox with trim_blocks and
 * lstrip_blocks, loop controls, the {@code generation} tag, {@code tojson} without HTML escaping
 * and the globals {@code raise_exception} and {@code strftime_now}. Immutable and thread-safe.
 */
public final class ChatTemplate {
    private final String name;
    private final List<Node> body;

    private ChatTemplate(String name, List<Node> body) {
        this.name = name;
        this.body = body;
    }

    /**
     * @param name what errors call the template, e.g. the GGUF file and key
     * @throws ChatTemplateException "name:line: what" when the source does not parse
     */
    public static ChatTemplate parse(String source, String name) {
        return new ChatTemplate(name, Parser.parse(source, name));
    }

    public String name() {
        return name;
    }

    /**
     * The conversation as the model was trained to see it, with transformers' variables: messages,
     * add_generation_prompt, bos_token, eos_token, and tools and documents as None.
     *
     * @throws ChatTemplateException when the template fails, or refuses the conversation through
     *     raise_exception (the message is then the template's own)
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bosToken, String eosToken) {
        return render(variables(messages, addGenerationPrompt, bosToken, eosToken));
    }

    /** transformers' variables for a conversation. */
    static Map<String, Object> variables(List<ChatMessage> messages, boolean addGenerationPrompt, String bosToken, String eosToken) {
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", list);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        return vars;
    }

    /**
     * Renders with any variables: Java strings, numbers, booleans, null, lists and maps (for
     * messages with tool calls, a tools list, extra flags such as enable_thinking).
     */
    public String render(Map<String, ?> variables) {
        return render(variables, null);
    }

    /** @param clock the moment strftime_now reports, or null for {@link #now()} */
    String render(Map<String, ?> variables, ZonedDateTime clock) {
        Renderer.Scope root = new Renderer.Scope(null);
        root.put("raise_exception", (Py.Function) (args, kw) -> {
            throw new IllegalArgumentException(args.isEmpty() ? "raise_exception called" : Py.str(args.getFirst()));
        });
        root.put("strftime_now", (Py.Function) (args, kw) -> strftime(args.isEmpty() ? "" : Py.str(args.getFirst()), clock != null ? clock : now()));
        root.put("namespace", (Py.Function) (args, kw) -> {
            Namespace ns = new Namespace();
            for (Object a : args) if (a instanceof Map<?, ?> m) ns.putAll(m);
            ns.putAll(kw);
            return ns;
        });
        root.put("dict", (Py.Function) (args, kw) -> {
            Map<Object, Object> d = new LinkedHashMap<>();
            for (Object a : args) if (a instanceof Map<?, ?> m) d.putAll(m);
            d.putAll(kw);
            return d;
        });
        root.put("range", (Py.Function) (args, kw) -> range(args));
        fromJavaMap(variables).forEach(root::put);
        StringBuilder out = new StringBuilder();
        try {
            new Renderer(name).render(body, root, out);
        } catch (StackOverflowError e) {
            throw new ChatTemplateException(name + ": macros nest too deep (endless recursion?)");
        }
        return out.toString();
    }

    /** The variables as the template's values (see {@link #fromJava}). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> fromJavaMap(Map<String, ?> variables) {
        return (Map<String, Object>) fromJava(variables);
    }

    /** Java values as the template's Python values: Long ints, Double floats, mutable lists and dicts. */
    private static Object fromJava(Object v) {
        return switch (v) {
            case null -> null;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float f -> (double) f;
            case ChatMessage m -> fromJava(Map.of("role", m.role(), "content", m.content()));
            case Map<?, ?> m -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                m.forEach((k, x) -> d.put(fromJava(k), fromJava(x)));
                yield d;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                for (Object x : l) out.add(fromJava(x));
                yield out;
            }
            case String s -> s;
            case Long l -> l;
            case Double d -> d;
            case Boolean b -> b;
            case Py.Function f -> f;
            default -> throw new IllegalArgumentException("a chat template variable cannot be a " + v.getClass().getName());
        };
    }

    private static List<Object> range(List<Object> args) {
        if (args.isEmpty() || args.size() > 3) throw new IllegalArgumentException("range expected 1 to 3 arguments, got " + args.size());
        long start = args.size() > 1 ? Py.toLong(args.get(0)) : 0;
        long stop = Py.toLong(args.get(args.size() > 1 ? 1 : 0));
        long step = args.size() > 2 ? Py.toLong(args.get(2)) : 1;
        if (step == 0) throw new IllegalArgumentException("range() arg 3 must not be zero");
        if ((stop - start) / step > 100_000) throw new IllegalArgumentException("range too big, the sandbox allows 100000 items");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }

    /** The moment strftime_now reports: SOURCE_DATE_EPOCH when set (reproducible renderings), else now; UTC. */
    private static ZonedDateTime now() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        Instant t = Instant.now();
        if (epoch != null && !epoch.isBlank()) {
            try {
                t = Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("SOURCE_DATE_EPOCH='" + epoch + "' is not a whole number of seconds");
            }
        }
        return t.atZone(ZoneOffset.UTC);
    }

    /** C strftime's common directives, plus glibc's "-" flag (no padding) that Llama 3's template uses. */
    static String strftime(String format, ZonedDateTime t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean pad = true;
            if (d == '-' && i + 1 < format.length()) {
                pad = false;
                d = format.charAt(++i);
            }
            switch (d) {
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'd' -> b.append(number(t.getDayOfMonth(), 2, pad));
                case 'e' -> b.append(pad ? String.format("%2d", t.getDayOfMonth()) : t.getDayOfMonth());
                case 'm' -> b.append(number(t.getMonthValue(), 2, pad));
                case 'y' -> b.append(number(t.getYear() % 100, 2, pad));
                case 'Y' -> b.append(t.getYear());
                case 'H' -> b.append(number(t.getHour(), 2, pad));
                case 'I' -> b.append(number((t.getHour() + 11) % 12 + 1, 2, pad));
                case 'M' -> b.append(number(t.getMinute(), 2, pad));
                case 'S' -> b.append(number(t.getSecond(), 2, pad));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> b.append(number(t.getDayOfYear(), 3, pad));
                case 'Z' -> b.append("UTC");
                case 'z' -> b.append("+0000");
                case '%' -> b.append('%');
                default -> throw new IllegalArgumentException("strftime_now: directive %" + d + " is not supported");
            }
        }
        return b.toString();
    }

    private static String number(int v, int width, boolean pad) {
        String s = Integer.toString(v);
        return pad && s.length() < width ? "0".repeat(width - s.length()) + s : s;
    }
}
