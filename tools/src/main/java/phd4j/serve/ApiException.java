package phd4j.serve;

/** A request the server refuses: the HTTP status and OpenAI's error object (message, type, param). */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final int retryAfterSeconds;

    ApiException(int status, String type, String param, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: a malformed body or a bad value, naming the field. */
    static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message, 0);
    }

    static ApiException status(int status, String type, String message) {
        return new ApiException(status, type, null, message, 0);
    }
}
