// llama-logits: llama.cpp's logits at every prompt position, as the JSON lines phd4j's fixtures use.
//
//   llama-logits -m FILE [-n GREEDY] [-c CTX] PROMPT...
//
// One line per prompt: prompt, n_vocab, tokens (tokenized as llama.cpp does with add_special, so
// BOS first when the vocabulary adds it), logits (n_vocab floats after each prompt token), greedy
// (GREEDY argmax ids continuing the prompt, not stopped at end-of-generation) and greedy_text.
// One thread, F32 KV cache, no flash attention, full-size SWA cache: the exact path, not the fast one.
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static void die(const std::string & msg) {
    fprintf(stderr, "llama-logits: %s\n", msg.c_str());
    exit(1);
}

// JSON string body: control characters escaped, invalid UTF-8 bytes as U+FFFD (as Python's decode('utf-8', 'replace')).
static std::string json_string(const std::string & s) {
    std::string out = "\"";
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= s.size();
        for (int k = 1; ok && k < len; k++) ok = (((unsigned char) s[i + k]) >> 6) == 2;
        if (!ok) { out += "\\ufffd"; i++; continue; }
        if (len == 1) {
            if (c == '"') out += "\\\"";
            else if (c == '\\') out += "\\\\";
            else if (c == '\n') out += "\\n";
            else if (c == '\t') out += "\\t";
            else if (c == '\r') out += "\\r";
            else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; }
            else out += (char) c;
        } else {
            out.append(s, i, len);
        }
        i += len;
    }
    return out + "\"";
}

static void print_logits(const float * l, int n) {
    putchar('[');
    for (int j = 0; j < n; j++) printf(j ? ",%.9g" : "%.9g", l[j]);
    putchar(']');
}

static int argmax(const float * l, int n) {
    int best = 0;
    for (int j = 1; j < n; j++) if (l[j] > l[best]) best = j;
    return best;
}

int main(int argc, char ** argv) {
    std::string path;
    int n_greedy = 24, n_ctx = 512;
    std::vector<std::string> prompts;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if ((a == "-m" || a == "-n" || a == "-c") && i + 1 >= argc) die(a + " needs a value");
        if (a == "-m") path = argv[++i];
        else if (a == "-n") n_greedy = atoi(argv[++i]);
        else if (a == "-c") n_ctx = atoi(argv[++i]);
        else prompts.push_back(a);
    }
    if (path.empty() || prompts.empty()) die("usage: llama-logits -m FILE [-n GREEDY] [-c CTX] PROMPT...");

    llama_log_set([](ggml_log_level level, const char * text, void *) { if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr); }, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model * model = llama_model_load_from_file(path.c_str(), mp);
    if (!model) die(path + ": llama.cpp could not load it");
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    for (const std::string & prompt : prompts) {
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = n_ctx;
        cp.n_batch = n_ctx;
        cp.n_ubatch = n_ctx;
        cp.n_threads = 1;
        cp.n_threads_batch = 1;
        cp.type_k = GGML_TYPE_F32;
        cp.type_v = GGML_TYPE_F32;
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        cp.swa_full = true;
        cp.no_perf = true;
        llama_context * ctx = llama_init_from_model(model, cp);
        if (!ctx) die("could not create a context");

        std::vector<llama_token> tokens(prompt.size() + 8);
        int n = llama_tokenize(vocab, prompt.data(), prompt.size(), tokens.data(), tokens.size(), true, false);
        if (n < 0) { // more tokens than bytes + 8: byte fallback of multi-byte pieces; -n is the count needed
            tokens.resize(-n);
            n = llama_tokenize(vocab, prompt.data(), prompt.size(), tokens.data(), tokens.size(), true, false);
        }
        if (n < 0) die("tokenize failed");
        tokens.resize(n);
        if (n + n_greedy > n_ctx) die("prompt plus greedy tokens exceed -c");

        llama_batch batch = llama_batch_init(n, 0, 1);
        for (int i = 0; i < n; i++) {
            batch.token[i] = tokens[i];
            batch.pos[i] = i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = 1;
        }
        batch.n_tokens = n;
        if (llama_decode(ctx, batch)) die("decode failed");

        printf("{\"prompt\":%s,\"n_vocab\":%d,\"tokens\":[", json_string(prompt).c_str(), n_vocab);
        for (int i = 0; i < n; i++) printf(i ? ",%d" : "%d", tokens[i]);
        printf("],\"logits\":[");
        for (int i = 0; i < n; i++) {
            if (i) putchar(',');
            print_logits(llama_get_logits_ith(ctx, i), n_vocab);
        }
        std::vector<llama_token> greedy;
        int next = argmax(llama_get_logits_ith(ctx, n - 1), n_vocab);
        for (int g = 0; g < n_greedy; g++) {
            greedy.push_back(next);
            llama_batch one = llama_batch_get_one(&greedy.back(), 1);
            if (llama_decode(ctx, one)) die("decode failed");
            next = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
        }
        printf("],\"greedy\":[");
        for (size_t g = 0; g < greedy.size(); g++) printf(g ? ",%d" : "%d", greedy[g]);
        std::string text;
        for (llama_token t : greedy) {
            char buf[256];
            int len = llama_token_to_piece(vocab, t, buf, sizeof buf, 0, false);
            if (len > 0) text.append(buf, len);
        }
        printf("],\"greedy_text\":%s}\n", json_string(text).c_str());
        llama_batch_free(batch);
        llama_free(ctx);
    }
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
