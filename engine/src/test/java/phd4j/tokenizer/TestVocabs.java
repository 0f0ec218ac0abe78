package phd4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Small in-memory vocabularies, built the way a GGUF file would describe them. */
final class TestVocabs {
    private TestVocabs() {}

    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** Collects tokens with their type and score; ids are assigned in order. */
    static final class Builder {
        final List<String> texts = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();

        Builder add(String text, int type, float score) {
            texts.add(text);
            types.add(type);
            scores.add(score);
            return this;
        }

        Builder normal(String text, float score) {
            return add(text, NORMAL, score);
        }

        /** "<unk>", "<s>", "</s>" at 0, 1, 2 then the 256 byte tokens at 3..258, as in Llama's vocabulary. */
        Builder llamaBase() {
            add("<unk>", UNKNOWN, 0).add("<s>", CONTROL, 0).add("</s>", CONTROL, 0);
            for (int b = 0; b < 256; b++) add(String.format("<0x%02X>", b), BYTE, 0);
            return this;
        }

        int id(String text) {
            return texts.indexOf(text);
        }

        VocabSpec spec(String model) {
            VocabSpec spec = new VocabSpec(model, texts.toArray(String[]::new));
            spec.tokenTypes = types.stream().mapToInt(Integer::intValue).toArray();
            spec.scores = new float[scores.size()];
            for (int i = 0; i < scores.size(); i++) spec.scores[i] = scores.get(i);
            return spec;
        }
    }

    static int byteToken(int b) {
        return 3 + b;
    }
}
