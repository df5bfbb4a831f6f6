package dev.herald.core;

/**
 * Receives the messages of one subscription.
 *
 * <p>Thread contract: the broker never calls one subscription's subscriber concurrently with itself, and calls
 * it in offset order for each topic. Calls for one subscription may come from different threads over time, with
 * a happens-before edge between consecutive calls. A subscriber that throws does not disturb the broker: the
 * error is counted, reported to the broker's {@link ErrorListener}, and delivery goes on with the next message.
 *
 * @param <T> payload type
 */
@FunctionalInterface
public interface Subscriber<T> {

    /**
     * Called for each message, in offset order per topic.
     *
     * @param message the message
     */
    void onMessage(Message<T> message);

    /**
     * Hands a message to a subscriber that may refuse it, such as one with a bounded buffer of its own that
     * discards what does not fit. The broker calls this instead of {@link #onMessage} and counts a refused message
     * as dropped (in {@link SubscriptionStats#droppedNewest()} and the broker's {@code dropped}) rather than
     * delivered. The default delivers through {@link #onMessage} and accepts.
     *
     * @param message the message
     * @return {@code false} if the subscriber discarded the message instead of taking it
     */
    default boolean offer(Message<T> message) {
        onMessage(message);
        return true;
    }

    /**
     * Called after the last message of a batch, so a subscriber that buffers (a network channel, say) can flush
     * once per batch instead of once per message. In direct delivery every message is a batch of one.
     */
    default void onBatchEnd() {
    }

    /**
     * Called once, as the last callback, when the broker closes the subscription on its own. Not called when the
     * application closes the subscription through {@link Subscription#close()}.
     *
     * @param reason why the broker closed it
     */
    default void onClose(CloseReason reason) {
    }
}
