package phd4j.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * How byte-level BPE cuts text into words before merging, chosen by {@code tokenizer.ggml.pre}
 * the way llama.cpp chooses it. Only the pre-tokenizers llama.cpp runs with its GPT-2, Llama-3
 * and Qwen2 scanners (and the "default" cascade) are supported; other names are refused rather
 * than tokenized differently from llama.cpp.
 *
 * @param ignoreMerges a word that is itself a token is taken whole (Llama-3 style)
 * @param addBos llama.cpp's add-BOS default for this pre-tokenizer (metadata may override it)
 */
record PreTokenizer(String name, List<SplitRule> rules, boolean ignoreMerges, boolean addBos) {

    private static final SplitRule GPT2 = new Gpt2Split();
    private static final SplitRule LLAMA3 = new Llama3Split(3);
    private static final SplitRule QWEN2 = new Llama3Split(1);

    /** llama.cpp's cascade when the file names no pre-tokenizer or "default". */
    private static final List<SplitRule> DEFAULT = List.of(
            RunSplit.runs(cp -> (CodepointFlags.of(cp) & CodepointFlags.PUNCTUATION) != 0 || "$+<=>^~|".indexOf(cp) >= 0),
            GPT2,
            RunSplit.runs(cp -> (CodepointFlags.of(cp) & CodepointFlags.NUMBER) != 0),
            RunSplit.groups(cp -> cp >= '0' && cp <= '9', 3));

    private static final Map<String, PreTokenizer> BY_NAME = Map.ofEntries(
            gpt2("gpt-2"), gpt2("phi-2"), gpt2("jina-es"), gpt2("jina-de"), gpt2("gigachat"),
            gpt2("jina-v2-es"), gpt2("jina-v2-de"), gpt2("a.x-4.0"), gpt2("mellum"), gpt2("modern-bert"),
            gpt2("mpt"), gpt2("olmo"), gpt2("jais"), gpt2("trillion"), gpt2("granite-docling"), gpt2("exaone4"),
            llama3("llama3"), llama3("llama-v3"), llama3("llama-bpe"), llama3("falcon3"), llama3("falcon-h1"),
            llama3("pixtral"), llama3("midm-2.0"), llama3("lfm2"), llama3("jina-v5-nano"),
            qwen2("qwen2"), qwen2("deepseek-r1-qwen"), qwen2("kormo"), qwen2("f2llmv2"), qwen2("stablelm2"));

    private static Map.Entry<String, PreTokenizer> gpt2(String name) {
        return Map.entry(name, new PreTokenizer(name, List.of(GPT2), false, false));
    }

    private static Map.Entry<String, PreTokenizer> llama3(String name) {
        return Map.entry(name, new PreTokenizer(name, List.of(LLAMA3), true, true));
    }

    private static Map.Entry<String, PreTokenizer> qwen2(String name) {
        return Map.entry(name, new PreTokenizer(name, List.of(QWEN2), false, false));
    }

    /**
     * @param name {@code tokenizer.ggml.pre}, null if absent (llama.cpp then warns and uses "default")
     * @throws IllegalArgumentException for a name llama.cpp tokenizes with a pre-tokenizer not
     *     implemented here (or does not know): guessing would give silently different tokens
     */
    static PreTokenizer forName(String name) {
        if (name == null || name.equals("default")) return new PreTokenizer("default", DEFAULT, false, false);
        PreTokenizer pre = BY_NAME.get(name);
        if (pre == null) {
            throw new IllegalArgumentException("unsupported pre-tokenizer: tokenizer.ggml.pre = \"" + name
                    + "\" (supported: default, " + String.join(", ", new java.util.TreeSet<>(BY_NAME.keySet())) + ")");
        }
        return pre;
    }

    /** Cuts the code points into words: returns the word lengths in order. */
    BaseTokenizer.IntList split(int[] cps) {
        BaseTokenizer.IntList lengths = new BaseTokenizer.IntList();
        lengths.add(cps.length);
        for (SplitRule rule : rules) {
            BaseTokenizer.IntList next = new BaseTokenizer.IntList();
            int start = 0;
            for (int i = 0; i < lengths.size(); i++) {
                int end = start + lengths.get(i);
                rule.split(cps, start, end, next);
                start = end;
            }
            lengths = next;
        }
        return lengths;
    }
}
