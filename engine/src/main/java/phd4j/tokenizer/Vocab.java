package phd4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable vocabulary with llama.cpp's loading rules applied: per-type defaults for the special
 * ids and add-BOS/EOS flags, metadata overrides, the text-based detection of EOT/EOM/FIM tokens
 * (forced to CONTROL), "unused" control tokens, and the end-of-generation set.
 */
final class Vocab {
    /** Defaults llama.cpp assumes per model type when the metadata says nothing. */
    record Defaults(int bos, int eos, int unk, boolean addSpacePrefix, boolean addBos, boolean addEos) {}

    /** Texts that llama.cpp treats as end-of-generation whatever the metadata says. */
    private static final Set<String> EOG_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");

    /** gpt-oss markers llama.cpp always renders, whatever their type in the file. */
    private static final Set<String> ALWAYS_RENDERED = Set.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    final String[] texts;
    final float[] scores;
    final int[] attrs;
    private final Map<String, Integer> ids;
    private final Map<SpecialRole, Integer> special = new EnumMap<>(SpecialRole.class);
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    private final BitSet eog = new BitSet();
    /** Tokens matched in the text before tokenizing (control, user-defined, unknown), longest first. */
    final int[] partitionOrder;

    Vocab(VocabSpec spec, Defaults defaults) {
        int n = spec.tokens.length;
        texts = new String[n];
        scores = new float[n];
        attrs = new int[n];
        ids = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            String text = spec.tokens[i];
            texts[i] = text.isEmpty() ? "[EMPTY_" + i + "]" : text;
            ids.put(texts[i], i); // a duplicate text maps to its last id, as in llama.cpp
            scores[i] = spec.scores != null ? spec.scores[i] : 0f;
            attrs[i] = spec.tokenTypes != null ? TokenAttr.fromGgufType(spec.tokenTypes[i]) : TokenAttr.NORMAL;
        }

        special.put(SpecialRole.BOS, defaults.bos());
        special.put(SpecialRole.EOS, defaults.eos());
        special.put(SpecialRole.UNK, defaults.unk());
        for (SpecialRole role : SpecialRole.values()) {
            int id = special(role);
            if (id >= n) special.remove(role); // a default outside a small vocabulary is disabled
            Long stated = spec.specialIds.get(role);
            if (stated != null && stated >= 0 && stated < n) special.put(role, stated.intValue());
        }
        addBos = spec.addBos != null ? spec.addBos : defaults.addBos();
        addEos = spec.addEos != null ? spec.addEos : defaults.addEos();
        addSpacePrefix = spec.addSpacePrefix != null ? spec.addSpacePrefix : defaults.addSpacePrefix();

        detectRolesByText();
        markUnusedControls();
        collectEndOfGeneration();
        partitionOrder = partitionOrder();
    }

    int size() {
        return texts.length;
    }

    /** The id of a token with exactly this text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    /** The id for a role, or -1 if the vocabulary has none. */
    int special(SpecialRole role) {
        Integer id = special.get(role);
        return id == null ? -1 : id;
    }

    boolean isEndOfGeneration(int token) {
        return token >= 0 && eog.get(token);
    }

    boolean has(int token, int attr) {
        return (attrs[token] & attr) != 0;
    }

    // llama.cpp scans its hash map in no fixed order and takes the first match; we take the lowest id.
    private void detectRolesByText() {
        for (SpecialRole role : SpecialRole.values()) {
            if (role.detectTexts.isEmpty() || special(role) >= 0) continue;
            for (int i = 0; i < texts.length; i++) {
                if (role.detectTexts.contains(texts[i]) && ids.get(texts[i]) == i) {
                    special.put(role, i);
                    attrs[i] |= TokenAttr.CONTROL;
                    break;
                }
            }
        }
    }

    private void markUnusedControls() {
        for (int i = 0; i < texts.length; i++) {
            if (has(i, TokenAttr.CONTROL) && texts[i].contains("unused")) attrs[i] |= TokenAttr.UNUSED;
        }
    }

    private void collectEndOfGeneration() {
        for (SpecialRole role : List.of(SpecialRole.FIM_PAD, SpecialRole.FIM_REP, SpecialRole.FIM_SEP)) {
            if (special(role) >= 0) eog.set(special(role));
        }
        for (int i = 0; i < texts.length; i++) {
            if (ids.get(texts[i]) != i) continue;
            if (EOG_TEXTS.contains(texts[i])) {
                eog.set(i);
                attrs[i] |= TokenAttr.CONTROL;
            }
            if (ALWAYS_RENDERED.contains(texts[i])) attrs[i] = TokenAttr.USER_DEFINED;
        }
        for (SpecialRole role : List.of(SpecialRole.EOS, SpecialRole.EOT, SpecialRole.EOM)) {
            if (special(role) >= 0) eog.set(special(role));
        }
        // harmony / solar-open chat formats: "<|end|>" ends a message, not the generation
        int end = eogWithText("<|end|>");
        boolean hasReturn = eogWithText("<|return|>") >= 0;
        boolean hasCall = eogWithText("<|call|>") >= 0 || eogWithText("<|calls|>") >= 0;
        boolean hasFlush = eogWithText("<|flush|>") >= 0;
        if (end >= 0 && hasCall && (hasReturn || hasFlush)) {
            eog.clear(end);
            attrs[end] = TokenAttr.USER_DEFINED;
        }
        // gemma4 / paddleocr: "</s>" is not an end of generation next to "<|tool_response>"
        int s = eogWithText("</s>");
        if (s >= 0 && eogWithText("<|tool_response>") >= 0) {
            eog.clear(s);
            attrs[s] = TokenAttr.NORMAL;
        }
    }

    private int eogWithText(String text) {
        for (int i = eog.nextSetBit(0); i >= 0; i = eog.nextSetBit(i + 1)) {
            if (texts[i].equals(text)) return i;
        }
        return -1;
    }

    private int[] partitionOrder() {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            if (has(i, TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) list.add(i);
        }
        // longest text (in UTF-8 bytes) first; ties keep id order
        list.sort(Comparator.comparingInt((Integer i) -> texts[i].getBytes(StandardCharsets.UTF_8).length).reversed());
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
