package dev.herald.core;

/** Why the broker closed a subscription on its own. Passed to {@link Subscriber#onClose}. */
public enum CloseReason {
    /** The subscriber fell behind past its queue bound under the close-on-overflow delivery policy. */
    SLOW_CONSUMER,
    /** The broker was closed. */
    BROKER_CLOSED
}
