package phd4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import phd4j.GenerationParams;
import phd4j.chat.ChatMessage;
import phd4j.sample.SamplerParams;

/**
 * A /v1/chat/completions or /v1/completions body, validated field by field: a mistake is a 400
 * naming the field, a field phd4j cannot honour (tools, response_format, n > 1, logit_bias, echo,
 * suffix, best_of > 1) is refused rather than ignored.
 *
 * @param messages    the conversation (chat), else null
 * @param prompt      the prompt text (completions), else null
 * @param topLogprobs how many alternatives each token's log-probability comes with, or -1 for no
 *                    log-probabilities (chat: {@code logprobs: true} and {@code top_logprobs};
 *                    completions: {@code logprobs: N})
 */
record CompletionRequest(List<ChatMessage> messages, String prompt, int maxTokens, SamplerParams sampler,
                         List<String> stop, boolean stream, boolean includeUsage, int topLogprobs) {

    /** OpenAI's limit on top_logprobs. */
    static final int MAX_TOP_LOGPROBS = 20;

    static CompletionRequest parse(JsonNode body, boolean chat, long defaultSeed) {
        if (body == null || !body.isObject()) throw ApiException.badRequest(null, "the body must be a JSON object");
        List<ChatMessage> messages = null;
        String prompt = null;
        if (chat) {
            JsonNode m = body.get("messages");
            if (m == null || !m.isArray() || m.isEmpty()) throw ApiException.badRequest("messages", "'messages' must be a non-empty array");
            messages = new ArrayList<>();
            for (int i = 0; i < m.size(); i++) messages.add(message(m.get(i), "messages[" + i + "]"));
        } else {
            JsonNode p = body.get("prompt");
            if (p == null || !p.isTextual()) throw ApiException.badRequest("prompt", "'prompt' must be a string");
            prompt = unicode(p, "prompt");
        }
        if (integer(body, "n", 1, 1, Integer.MAX_VALUE) != 1) throw ApiException.badRequest("n", "'n' must be 1: phd4j makes one choice per request");
        for (String unsupported : List.of("tools", "response_format", "echo", "suffix")) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
                throw ApiException.badRequest(unsupported, "'" + unsupported + "' is not supported by phd4j yet");
            }
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull() && !(bias.isObject() && bias.isEmpty())) {
            throw ApiException.badRequest("logit_bias", "'logit_bias' is not supported by phd4j yet");
        }
        if (integer(body, "best_of", 1, 1, Integer.MAX_VALUE) != 1) throw ApiException.badRequest("best_of", "'best_of' must be 1");
        int topLogprobs = chat ? chatLogprobs(body) : integer(body, "logprobs", -1, 0, MAX_TOP_LOGPROBS);
        int maxTokens = body.has("max_completion_tokens") ? integer(body, "max_completion_tokens", 0, 1, Integer.MAX_VALUE)
                : integer(body, "max_tokens", 0, 1, Integer.MAX_VALUE);
        SamplerParams sampler;
        try {
            sampler = new SamplerParams((float) number(body, "temperature", 0.8, 0, 2), integer(body, "top_k", 40, 0, Integer.MAX_VALUE),
                    (float) number(body, "top_p", 0.95, 0, 1), (float) number(body, "min_p", 0.05, 0, 1),
                    (float) number(body, "repeat_penalty", 1.0, 0, 10), 64, body.has("seed") ? longValue(body, "seed") : defaultSeed,
                    (float) number(body, "presence_penalty", 0, -2, 2), (float) number(body, "frequency_penalty", 0, -2, 2));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(null, e.getMessage());
        }
        List<String> stop = stops(body.get("stop"));
        boolean stream = bool(body, "stream");
        JsonNode options = body.get("stream_options");
        boolean usage = options != null && options.isObject() && bool(options, "include_usage");
        return new CompletionRequest(messages, prompt, maxTokens, sampler, stop, stream, usage, topLogprobs);
    }

    /** Chat's {@code logprobs: true} with {@code top_logprobs} alternatives (0 unless given), or -1. */
    private static int chatLogprobs(JsonNode body) {
        boolean wanted = bool(body, "logprobs");
        int top = integer(body, "top_logprobs", 0, 0, MAX_TOP_LOGPROBS);
        if (!wanted && body.hasNonNull("top_logprobs")) throw ApiException.badRequest("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        return wanted ? top : -1;
    }

    GenerationParams params(int remainingContext) {
        int max = maxTokens > 0 ? Math.min(maxTokens, remainingContext) : remainingContext;
        return new GenerationParams(Math.max(1, max), sampler, stop, List.of(), false);
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (m == null || !m.isObject()) throw ApiException.badRequest(where, where + " must be an object");
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) throw ApiException.badRequest(where + ".role", where + ".role must be a string");
        JsonNode content = m.get("content");
        String text;
        if (content == null || content.isNull()) {
            text = "";
        } else if (content.isTextual()) {
            text = unicode(content, where + ".content");
        } else if (content.isArray()) { // parts: only text ones
            StringBuilder b = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(where + ".content", where + ".content: only text parts are supported");
                }
                b.append(unicode(part.get("text"), where + ".content"));
            }
            text = b.toString();
        } else {
            throw ApiException.badRequest(where + ".content", where + ".content must be a string or an array of text parts");
        }
        return new ChatMessage(unicode(role, where + ".role"), text);
    }

    private static List<String> stops(JsonNode s) {
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(unicode(s, "stop"));
        else if (s.isArray() && s.size() <= 4) for (JsonNode e : s) {
            if (!e.isTextual()) throw ApiException.badRequest("stop", "'stop' must be a string or up to 4 strings");
            out.add(unicode(e, "stop"));
        }
        else throw ApiException.badRequest("stop", "'stop' must be a string or up to 4 strings");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiException.badRequest("stop", "'stop' strings must not be empty");
        return out;
    }

    /**
     * A string's text, refused if it holds a lone surrogate: valid JSON ({@code "\\ud800"}) but no
     * Unicode text, which the tokenizer could only turn into U+FFFD behind the client's back.
     */
    private static String unicode(JsonNode v, String field) {
        String text = v.asText();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) throw ApiException.badRequest(field, field + " holds a lone UTF-16 surrogate (\\u" + Integer.toHexString(c) + " at " + i + "): not Unicode text");
        }
        return text;
    }

    private static double number(JsonNode body, String field, double otherwise, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return otherwise;
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.badRequest(field, "'" + field + "' must be a number in " + min + ".." + max);
        }
        return v.asDouble();
    }

    private static int integer(JsonNode body, String field, int otherwise, int min, int max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return otherwise;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw ApiException.badRequest(field, "'" + field + "' must be an integer in " + min + ".." + max);
        }
        return v.asInt();
    }

    private static long longValue(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw ApiException.badRequest(field, "'" + field + "' must be an integer");
        return v.asLong();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiException.badRequest(field, "'" + field + "' must be true or false");
        return v.asBoolean();
    }
}
