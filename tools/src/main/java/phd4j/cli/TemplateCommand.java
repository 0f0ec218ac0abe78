package phd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;
import phd4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phd template}: the prompt a conversation renders to, exactly, on stdout. */
@Command(name = "template", mixinStandardHelpOptions = true,
        description = "Print the prompt a chat template renders for a conversation (and nothing else).")
final class TemplateCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin TemplateOptions templateOptions;

    @Option(names = "--messages", paramLabel = "MESSAGES.json", required = true,
            description = "the conversation: the OpenAI list of {role, content}, or an object with messages, tools and other template variables")
    Path messagesFile;

    @Option(names = "--no-generation-prompt", description = "leave out the assistant turn's header (add_generation_prompt = false)")
    boolean noGenerationPrompt;

    @Override
    public Integer call() {
        Map<String, Object> vars = variables(messagesFile);
        PrintWriter out = common.spec.commandLine().getOut();
        try (Model model = Model.load(common.model(), 1)) {
            Activity.set("rendering the chat template of " + model.file().path());
            ChatTemplate t = templateOptions.template(model, common.spec.commandLine().getErr());
            Tokenizer tok = model.tokenizer();
            vars.putIfAbsent("add_generation_prompt", !noGenerationPrompt);
            vars.putIfAbsent("bos_token", tok.bos() >= 0 ? tok.tokenText(tok.bos()) : "");
            vars.putIfAbsent("eos_token", tok.eos() >= 0 ? tok.tokenText(tok.eos()) : "");
            vars.putIfAbsent("tools", null);
            vars.putIfAbsent("documents", null);
            out.print(t.render(vars));
            out.flush();
        } catch (ChatTemplateException e) {
            throw new Main.UserException(e.getMessage());
        } catch (IllegalArgumentException e) { // a JSON value no template variable can hold
            throw new Main.UserException(messagesFile + ": " + e.getMessage());
        }
        return 0;
    }

    /** The template's variables from the messages file: {"messages": list} for a list, the object's keys for an object. */
    static Map<String, Object> variables(Path file) {
        Object json;
        try {
            json = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS).readValue(TemplateOptions.read(file), Object.class);
        } catch (JsonProcessingException e) {
            throw new Main.UserException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage());
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        if (json instanceof List<?> list) {
            vars.put("messages", list);
        } else if (json instanceof Map<?, ?> m && m.get("messages") instanceof List<?>) {
            m.forEach((k, v) -> vars.put(k.toString(), v));
        } else {
            throw new Main.UserException(file + ": expected a list of messages or an object with a \"messages\" list");
        }
        for (Object m : (List<?>) vars.get("messages")) {
            if (!(m instanceof Map<?, ?> message) || !(message.get("role") instanceof String)) {
                throw new Main.UserException(file + ": every message needs a \"role\" string, found " + m);
            }
        }
        return vars;
    }
}
