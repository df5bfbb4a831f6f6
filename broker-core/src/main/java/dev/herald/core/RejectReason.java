package dev.herald.core;

/** Why the broker refused a publish or a subscribe. Each constant is an expected outcome, not a bug. */
public enum RejectReason {
    /** The broker is closed or closing. */
    BROKER_CLOSED,
    /** The topic name or pattern breaks the rules in {@link Topics}. */
    INVALID_TOPIC,
    /** The payload was {@code null}. */
    INVALID_PAYLOAD,
    /** The resume position lies beyond the topic's latest offset in the same epoch. */
    INVALID_POSITION,
    /** Creating the topic would pass the broker's topic limit. */
    TOO_MANY_TOPICS,
    /** A subscriber with a blocking delivery policy stayed full for longer than its timeout. */
    BACKPRESSURE_TIMEOUT,
    /**
     * The engine's shared store (Redis, say) could not be reached or did not answer in time. Nothing was
     * acknowledged; a publish that timed out may still have been stored, so a retry may publish it twice.
     */
    ENGINE_UNAVAILABLE
}
