package dev.herald.bench.core;

import dev.herald.core.policy.DeliveryPolicy;

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
     * @param variant          {@code plainLoop}, {@code submissionPublisher}, {@code heraldQueued} or
     *                         {@code heraldDirect}
     * @param countersByTopic  for each topic, one counter per subscriber
     * @return the running variant
     */
    static FanOut create(String variant, Counter[][] countersByTopic) {
        return switch (variant) {
            case "plainLoop" -> new PlainLoopFanOut(countersByTopic);
            case "submissionPublisher" -> new SubmissionPublisherFanOut(countersByTopic, QUEUE_CAPACITY);
            case "heraldQueued" -> new HeraldFanOut(countersByTopic, DeliveryPolicy.dropOldest(QUEUE_CAPACITY));
            case "heraldDirect" -> new HeraldFanOut(countersByTopic, DeliveryPolicy.direct());
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        };
    }
}
