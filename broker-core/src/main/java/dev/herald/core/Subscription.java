package dev.herald.core;

/**
 * An open subscription to a topic or pattern. Returned by {@link Broker#subscribe}; thread-safe.
 */
public interface Subscription extends AutoCloseable {

    /**
     * The topic name or pattern subscribed to.
     *
     * @return the filter
     */
    String filter();

    /**
     * Where the topic stood when the subscription opened, after any replay was taken: the offset of the
     * newest message at that moment and the epoch to resume under later. For a pattern, offset 0 and an empty
     * epoch.
     *
     * @return the position
     */
    StreamPosition position();

    /**
     * Whether a resume or replay delivered everything that was asked: {@code true} for live subscriptions and
     * for replays that had every message they needed; {@code false} when the position had left retained
     * history or belonged to another epoch, in which case the subscriber got what was retained.
     *
     * @return whether the subscriber has no gap before its first live message
     */
    boolean recovered();

    /**
     * Whether the subscription is open.
     *
     * @return {@code false} after {@link #close()} or after the broker closed it
     */
    boolean isOpen();

    /**
     * This subscription's counters, read at the time of the call. Safe from any thread.
     *
     * @return the counters
     */
    SubscriptionStats stats();

    /**
     * Closes the subscription. Idempotent. When it returns, no new callback starts (a callback already running
     * on another thread is waited for), and everything the subscription held is released; queued messages are
     * discarded and counted as dropped.
     *
     * <p>One exception, for {@link dev.herald.core.policy.DeliveryPolicy#direct() direct} subscriptions closed from
     * inside another direct subscriber's callback: if waiting would close a cycle (a callback of the other topic
     * is at that moment closing a subscription of this one), close returns without waiting, and the one call
     * that other publish was about to make may still come.
     */
    @Override
    void close();
}
