package dev.herald.core;

import java.util.Objects;

/**
 * A request the broker refused, with the reason as a stable code. Thrown by {@link Broker#subscribe} and used to
 * fail the stage of {@link Broker#subscribeAsync}; {@link Broker#publish} reports the same reasons as a
 * {@link PublishResult.Rejected} value instead.
 */
public final class HeraldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    /**
     * Creates the exception.
     *
     * @param reason  the reason, not {@code null}
     * @param message a human description that names the offending value
     */
    public HeraldException(RejectReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * The machine-readable reason.
     *
     * @return the reason
     */
    public RejectReason reason() {
        return reason;
    }
}
