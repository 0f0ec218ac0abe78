package phd4j.chat;

/** A chat template that does not parse or fails while rendering; the message is "name:line: what". */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    static ChatTemplateException at(String name, int line, String what) {
        return new ChatTemplateException(name + ":" + line + ": " + what);
    }
}
