package phd4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import phd4j.Model;
import phd4j.serve.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phd serve}: an OpenAI-compatible HTTP server for one model (see phd4j.serve.Server). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over the OpenAI HTTP API: /v1/chat/completions, /v1/completions, /v1/models,",
                "and llama-server's /health, /tokenize, /detokenize. One line per request on stderr."})
final class ServeCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;
    @Mixin TemplateOptions templateOptions;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Mixin ContextOption contextOption;

    @Option(names = {"-np", "--parallel"}, paramLabel = "SLOTS", defaultValue = "1",
            description = "requests generating at once, each with its own KV cache, all advanced by one forward pass per token (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--prompt-chunk", paramLabel = "N", defaultValue = "64",
            description = "prompt tokens read per decode step of the other requests: smaller keeps their streams smoother, "
                    + "larger reads prompts faster (default: ${DEFAULT-VALUE})")
    int promptChunk;

    @Option(names = "--prompt-burst", paramLabel = "N", defaultValue = "512",
            description = "prompt tokens read per step while more requests wait to start than are generating (a burst of "
                    + "arrivals); at most --prompt-chunk turns bursts off (default: ${DEFAULT-VALUE})")
    int promptBurst;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "close a connection whose request (line, headers, body) is not all in after this long, "
                    + "or that sends nothing for min(SECONDS, 30); generating and streaming the answer are not bounded (default: ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--api-key", paramLabel = "KEY", description = "require 'Authorization: Bearer KEY' (not on /health)")
    String apiKey;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw common.bad("--port must be in 0..65535, got " + port);
        if (slots < 1) throw common.bad("-np must be >= 1, got " + slots);
        if (promptChunk < 1) throw common.bad("--prompt-chunk must be >= 1, got " + promptChunk);
        if (promptBurst < 1) throw common.bad("--prompt-burst must be >= 1, got " + promptBurst);
        if (timeout < 1) throw common.bad("--timeout must be >= 1 second, got " + timeout);
        PrintWriter err = common.spec.commandLine().getErr();
        if (!Server.limitRequestTime(timeout) && VerboseOption.verbose) {
            err.println("serve: --timeout not applied: a server made earlier in this JVM fixed the HTTP server's time limits");
        }
        try (Server server = new Server(host, port, apiKey, err, VerboseOption.verbose);
             Model model = Model.load(common.model(), common.loadOptions(phdOptions.config()))) {
            PhdOptions.announce(model, err);
            int ctx = contextOption.resolve(model, slots);
            String id = model.file().path().getFileName().toString();
            server.ready(model, id, templateOptions.template(model, err), slots, ctx, promptChunk, promptBurst);
            err.println("serve: " + id + " on http://" + host + ":" + server.port() + " (" + slots + " slot(s) of " + ctx + " tokens)");
            err.flush();
            new CountDownLatch(1).await(); // until the process is stopped
        }
        return 0;
    }
}
