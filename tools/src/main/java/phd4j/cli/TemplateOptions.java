package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import phd4j.Model;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;
import picocli.CommandLine.Option;

/** Which chat template a command uses: --chat-template-file, else the model's, else ChatML (a picocli mixin). */
final class TemplateOptions {
    /** The fallback for a model without tokenizer.chat_template: ChatML, the most common format, named when used. */
    static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @Option(names = "--chat-template-file", paramLabel = "FILE", description = "a Jinja chat template to use instead of the model's tokenizer.chat_template")
    Path templateFile;

    ChatTemplate template(Model model, PrintWriter err) {
        try {
            if (templateFile != null) return ChatTemplate.parse(read(templateFile), templateFile.toString());
            var own = model.chatTemplate();
            if (own.isPresent()) return own.get();
            err.println("note: " + model.file().path() + " has no tokenizer.chat_template; using the ChatML format (--chat-template-file chooses another)");
            return ChatTemplate.parse(CHATML, "chatml");
        } catch (ChatTemplateException e) {
            throw new Main.UserException(e.getMessage());
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new Main.UserException(file + ": not valid UTF-8 text");
        } catch (NoSuchFileException e) {
            throw new Main.UserException(file + ": no such file");
        } catch (IOException e) {
            throw new Main.UserException(file + ": " + e.getMessage());
        }
    }
}
