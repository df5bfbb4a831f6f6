package dev.herald.bench.core;

import dev.herald.core.policy.DeliveryPolicy;
import java.util.List;

/**
 * One way of getting messages from a publisher to subscribers, set up for a number of topics each with its own
 * subscribers. Each subscriber counts what it receives in its {@link Counter}.
 *
 * <p>Thread contract: {@link #publish} is called from one thread.
 */
interface FanOut extends AutoCloseable {

    /** The queue bound of every queued variant: larger than one benchmark batch, so nothing is ever dropped. */
    int QUEUE_CAPACITY = 1024;

    /**
     * Publishes one message to a topic.
     *
     * @param topic   the topic's index
     * @param payload the payload
     */
    void publish(int topic, Object payload);

    /**
     * Publishes several messages to one topic, in order, through the variant's batch API if it has one.
     *
     * @param topic    the topic's index
     * @param payloads the payloads
     * @throws UnsupportedOperationException if the variant has no batch API
     */
    default void publishAll(int topic, List<Object> payloads) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no batch publish");
    }

    /**
     * Called by a publisher that has waited over a millisecond for its subscribers, to restart delivery that
     * stalled with messages still queued. Nothing to do for a variant that never stalls.
     */
    default void wakeUp() {
    }

    /**
     * Checks that nothing was rejected, dropped or thrown on the way, then stops the variant's threads.
     *
     * @throws IllegalStateException if something was
     */
    @Override
    void close();

    /**
     * Creates a variant by name.
     *
     * @param variant          {@code plainLoop}, {@code submissionPublisher}, {@code heraldQueued},
     *                         {@code heraldDirect}, or {@code heraldQueuedBatch} and {@code heraldDirectBatch}
     *                         (the same two, published to through {@link #publishAll})
     * @param countersByTopic  for each topic, one counter per subscriber
     * @return the running variant
     */
    static FanOut create(String variant, Counter[][] countersByTopic) {
        return switch (variant) {
            case "plainLoop" -> new PlainLoopFanOut(countersByTopic);
            case "submissionPublisher" -> new SubmissionPublisherFanOut(countersByTopic, QUEUE_CAPACITY);
            case "heraldQueued", "heraldQueuedBatch" ->
                    new HeraldFanOut(countersByTopic, DeliveryPolicy.dropOldest(QUEUE_CAPACITY));
            case "heraldDirect", "heraldDirectBatch" -> new HeraldFanOut(countersByTopic, DeliveryPolicy.direct());
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        };
    }
}
