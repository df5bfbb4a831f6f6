package dev.herald.core;

/** Why the broker closed a subscription on its own. Passed to {@link Subscriber#onClose}. */
public enum CloseReason {
    /** The subscriber fell behind past its queue bound under the close-on-overflow delivery policy. */
    SLOW_CONSUMER,
    /** The broker was closed. */
    BROKER_CLOSED,
    /**
     * The engine could not hand on every message of the subscription's topic: the topic's history started over
     * under a new epoch (a Redis restart without persistence, a failover that lost writes), or messages left the
     * retained history before this node could fetch them after losing its connection. Subscribe again from the
     * last position seen: the new subscription reports {@link Subscription#recovered()} {@code false} and
     * delivers what is retained. Only subscriptions to a topic name are closed so; pattern subscriptions see the
     * offsets jump.
     */
    CONTINUITY_LOST
}
