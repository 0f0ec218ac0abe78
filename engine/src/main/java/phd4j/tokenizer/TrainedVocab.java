package phd4j.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;

/**
 * A byte-level BPE vocabulary made by {@link BpeTrainer}, in llama.cpp's {@code gpt2} form:
 * ids 0..255 are the byte tokens (id b = byte b, spelled in GPT-2's byte-to-unicode alphabet),
 * then the merged tokens in the order merges created them, then {@link BpeTrainer#END_OF_TEXT}
 * (type control) as the last id, which is both BOS and EOS.
 *
 * <p>{@code add_bos_token} is false, as llama.cpp's default for pre "gpt-2" and GPT-2 itself:
 * training windows are arbitrary slices of the token stream (documents separated by
 * end-of-text, no BOS in front of each window), so prompts at inference are not given a BOS
 * either, and llama-perplexity and {@code phd perplexity} score windows as the model was trained.
 *
 * @param pre {@code tokenizer.ggml.pre}
 * @param tokens every token string, by id
 * @param tokenTypes GGUF token types (1 normal, 3 control)
 * @param merges "left right" in rank order
 * @param endOfText the id of the end-of-text token
 */
public record TrainedVocab(String pre, List<String> tokens, int[] tokenTypes, List<String> merges, int endOfText) {

    public int size() {
        return tokens.size();
    }

    /**
     * The {@code tokenizer.ggml.*} keys (plus {@code general.architecture} "llama" and a name, so
     * llama.cpp's vocab-only loaders accept the file); a model writer copies the tokenizer keys.
     */
    public Map<String, GgufValue> metadata() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("general.name", GgufValue.ofString("phd4j byte-level BPE vocabulary"));
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens.toArray(String[]::new))));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32s(tokenTypes.clone())));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(merges.toArray(String[]::new))));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(endOfText));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(endOfText));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        return m;
    }

    /** Writes a vocabulary-only GGUF (no tensors), atomically (temporary file, then rename). */
    public void write(Path out) {
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        GgufWriter.write(tmp, metadata(), List.of());
        try {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tokenizer this vocabulary gives, exactly as {@link Tokenizer#fromGguf} builds it from the written file. */
    public Tokenizer tokenizer() {
        VocabSpec spec = new VocabSpec("gpt2", tokens.toArray(String[]::new));
        spec.pre = pre;
        spec.tokenTypes = tokenTypes.clone();
        spec.merges = merges.toArray(String[]::new);
        spec.specialIds.put(SpecialRole.BOS, (long) endOfText);
        spec.specialIds.put(SpecialRole.EOS, (long) endOfText);
        spec.addBos = false;
        spec.addEos = false;
        return Tokenizers.of(spec);
    }
}
