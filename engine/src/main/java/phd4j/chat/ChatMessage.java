package phd4j.chat;

/** One turn of a conversation as chat templates see it: {@code message.role}, {@code message.content}. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null) throw new IllegalArgumentException("chat message role is null");
        if (content == null) throw new IllegalArgumentException("chat message content is null");
    }
}
