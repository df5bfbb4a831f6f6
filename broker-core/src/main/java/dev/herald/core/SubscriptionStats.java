package dev.herald.core;

/**
 * Counters of one subscription at one moment.
 *
 * @param delivered       messages handed to the subscriber
 * @param droppedOldest   messages discarded from a full queue to make room for newer ones
 * @param droppedNewest   arriving messages discarded because the queue was full, or refused by the subscriber's
 *                        own {@link Subscriber#offer}
 * @param droppedOnClose  messages discarded because the subscription closed while they waited
 * @param pending         messages waiting in the queue now
 * @param errors          exceptions thrown by the subscriber
 */
public record SubscriptionStats(long delivered, long droppedOldest, long droppedNewest, long droppedOnClose,
                                long pending, long errors) {

    /**
     * All drops, whatever the reason.
     *
     * @return the sum of the drop counters
     */
    public long dropped() {
        return droppedOldest + droppedNewest + droppedOnClose;
    }
}
