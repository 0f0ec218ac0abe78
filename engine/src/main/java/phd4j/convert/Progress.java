package phd4j.convert;

/**
 * Told how far a long write has come, in bytes of tensor data; called from the writing thread,
 * often (every megabyte or so), so an implementation should be cheap and rate-limit its own output.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total, tensor) -> {};

    /** {@code done} of {@code total} bytes written; {@code tensor} is the one being written. */
    void update(long done, long total, String tensor);
}
