package phd4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads single top-level fields (a string or an array of integers) out of one JSON object line:
 * enough for the shared fixtures without a JSON library. Assumes each key appears once.
 */
final class JsonFields {
    private JsonFields() {}

    static String string(String json, String key) {
        int i = valueStart(json, key);
        if (json.charAt(i) != '"') throw new IllegalArgumentException(key + " is not a string");
        StringBuilder sb = new StringBuilder();
        for (i++; json.charAt(i) != '"'; i++) {
            char c = json.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = json.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> sb.append(e); // \" \\ \/
            }
        }
        return sb.toString();
    }

    static int[] ints(String json, String key) {
        int i = valueStart(json, key);
        int close = json.indexOf(']', i);
        String body = json.substring(i + 1, close).strip();
        if (body.isEmpty()) return new int[0];
        List<Integer> values = new ArrayList<>();
        for (String v : body.split(",")) values.add(Integer.parseInt(v.strip()));
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int valueStart(String json, String key) {
        int k = json.indexOf("\"" + key + "\":");
        if (k < 0) throw new IllegalArgumentException("no field " + key);
        int i = k + key.length() + 3;
        while (Character.isWhitespace(json.charAt(i))) i++;
        return i;
    }
}
