package phd4j.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * How byte-level BPE cuts text into words before merging, chosen by {@code tokenizer.ggml.pre}
 * the way llama.cpp chooses it: a list of passes, each one of llama.cpp's regexes, run by its
 * hand-written scanners (GPT-2, Llama-3, Qwen2, Qwen3.5) or, for the simple regexes it hands to
 * std::regex, by {@link RunSplit}. Other names are refused rather than tokenized differently
 * from llama.cpp.
 *
 * @param ignoreMerges a word that is itself a token is taken whole (Llama-3 style)
 * @param addBos llama.cpp's add-BOS default for this pre-tokenizer (metadata may override it)
 */
record PreTokenizer(String name, List<SplitRule> rules, boolean ignoreMerges, boolean addBos) {

    private static final SplitRule GPT2 = new Gpt2Split();
    private static final SplitRule LLAMA3 = new Llama3Split(3, CodepointFlags.LETTER);
    private static final SplitRule QWEN2 = new Llama3Split(1, CodepointFlags.LETTER);
    private static final SplitRule QWEN35 = new Llama3Split(1, CodepointFlags.LETTER | CodepointFlags.MARK);

    /** {@code \p{N}}: every digit a piece of its own. */
    private static final SplitRule EACH_DIGIT = RunSplit.groups(RegexClass.category(CodepointFlags.NUMBER), 1);
    /** {@code [0-9][0-9][0-9]} */
    private static final SplitRule ASCII_DIGIT_TRIPLES = RunSplit.groups(RegexClass.ranges("0-9"), 3);
    /** {@code [\r\n]} */
    private static final SplitRule EACH_NEWLINE = RunSplit.groups(RegexClass.NEWLINE, 1);
    /** DeepSeek's {@code [一-龥ࠀ-一가-퟿]+}: CJK ideographs, and Hangul syllables with what lies between. */
    private static final SplitRule DEEPSEEK_CJK = RunSplit.runs(RegexClass.ranges("一-龥ࠀ-一가-퟿"));

    /** llama.cpp's cascade when the file names no pre-tokenizer or "default". */
    private static final List<SplitRule> DEFAULT = List.of(
            RunSplit.runs(punctuationOr("$+<=>^~|")),
            GPT2,
            RunSplit.runs(RegexClass.category(CodepointFlags.NUMBER)),
            ASCII_DIGIT_TRIPLES);

    private static final List<SplitRule> FALCON = List.of(RunSplit.runs(punctuationOr("$+<=>^~|`")), GPT2, ASCII_DIGIT_TRIPLES);

    private static final List<SplitRule> STARCODER = List.of(EACH_DIGIT, GPT2);

    private static final List<SplitRule> DEEPSEEK_CODER = List.of(
            EACH_NEWLINE,
            RunSplit.prefixedRuns(RegexClass.WHITESPACE, RegexClass.category(CodepointFlags.LETTER)),
            RunSplit.prefixedRuns(RegexClass.WHITESPACE, RegexClass.category(CodepointFlags.PUNCTUATION)),
            DEEPSEEK_CJK,
            EACH_DIGIT);

    private static final List<SplitRule> DEEPSEEK_LLM = List.of(
            EACH_NEWLINE,
            RunSplit.prefixedRuns(RegexClass.WHITESPACE, RegexClass.ranges(
                    "A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃")),
            RunSplit.prefixedRuns(RegexClass.WHITESPACE, RegexClass.ranges("!-/:-~！-／：-～‘-‟　-。")),
            RunSplit.trailing(RegexClass.WHITESPACE),
            DEEPSEEK_CJK,
            RunSplit.runs(RegexClass.category(CodepointFlags.NUMBER)));

    private static final Map<String, PreTokenizer> BY_NAME = Map.ofEntries(
            gpt2("gpt-2"), gpt2("phi-2"), gpt2("jina-es"), gpt2("jina-de"), gpt2("gigachat"),
            gpt2("jina-v2-es"), gpt2("jina-v2-de"), gpt2("a.x-4.0"), gpt2("mellum"), gpt2("modern-bert"),
            gpt2("mpt"), gpt2("olmo"), gpt2("jais"), gpt2("trillion"), gpt2("granite-docling"), gpt2("exaone4"),
            llama3("llama3"), llama3("llama-v3"), llama3("llama-bpe"), llama3("falcon3"), llama3("falcon-h1"),
            llama3("pixtral"), llama3("midm-2.0"), llama3("lfm2"), llama3("jina-v5-nano"),
            qwen2("qwen2"), qwen2("deepseek-r1-qwen"), qwen2("kormo"), qwen2("f2llmv2"), qwen2("stablelm2"),
            plain("qwen35", List.of(QWEN35)), plain("falcon", FALCON),
            plain("starcoder", STARCODER), plain("refact", STARCODER), plain("command-r", STARCODER),
            plain("deepseek-coder", DEEPSEEK_CODER), plain("deepseek-llm", DEEPSEEK_LLM));

    /** {@code [\p{P}...]}: punctuation or one of these ASCII symbols. */
    private static java.util.function.IntPredicate punctuationOr(String symbols) {
        return RegexClass.category(CodepointFlags.PUNCTUATION).or(cp -> symbols.indexOf(cp) >= 0);
    }

    private static Map.Entry<String, PreTokenizer> plain(String name, List<SplitRule> rules) {
        return Map.entry(name, new PreTokenizer(name, rules, false, false));
    }

    private static Map.Entry<String, PreTokenizer> gpt2(String name) {
        return plain(name, List.of(GPT2));
    }

    private static Map.Entry<String, PreTokenizer> llama3(String name) {
        return Map.entry(name, new PreTokenizer(name, List.of(LLAMA3), true, true));
    }

    private static Map.Entry<String, PreTokenizer> qwen2(String name) {
        return plain(name, List.of(QWEN2));
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
            throw new IllegalArgumentException("tokenizer.ggml.pre: pre-tokenizer '" + name + "' of model 'gpt2' is not supported"
                    + " (supported: default, " + String.join(", ", new java.util.TreeSet<>(BY_NAME.keySet())) + ")");
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
