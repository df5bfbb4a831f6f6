package dev.herald.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * How messages travel from the publisher to one subscription. Immutable; chosen per subscription, with a
 * broker-wide default.
 *
 * <p>Two modes:
 * <ul>
 *   <li><b>Queued</b> ({@link #dropOldest}, {@link #dropNewest}, {@link #closeOnOverflow}, {@link #block}): each
 *       subscription has a queue bounded by {@code capacity}; the broker's executor drains it in batches and
 *       calls the subscriber there. When the queue is full the {@link Overflow} action decides what happens.
 *       (Drop-oldest subscriptions to one topic share one buffer of its recent messages, each reading at its own
 *       position, so that a publish costs the same for one such subscriber or a thousand; what each observes,
 *       drops included, is what a queue of its own would give.)
 *       A slow subscriber never slows the publisher or other subscribers, except under {@link #block}, whose
 *       whole point is to make the publisher wait.</li>
 *   <li><b>Direct</b> ({@link #direct()}): the subscriber is called on the publisher's thread, while the topic
 *       is held, with no queue in between and, on a topic name (not a pattern), no lock of its own. For adapters
 *       that buffer by themselves (a network channel with its own bounded outbound buffer). The subscriber must
 *       not block, must not publish, and must not subscribe to or close a subscription of another topic from its
 *       callback (it runs under its topic's lock, and would take the other topic's lock); closing its own
 *       subscription, or another of the same topic, is fine.</li>
 * </ul>
 * Every drop is counted per subscription and per reason, and offsets make it visible to the subscriber.
 */
public final class DeliveryPolicy {

    /** What a queued subscription does with a message that arrives while its queue is full. */
    public enum Overflow {
        /** Discard the oldest queued message to make room; the subscriber keeps up with the newest. */
        DROP_OLDEST,
        /** Discard the arriving message; the subscriber keeps what it had queued. */
        DROP_NEWEST,
        /** Close the subscription as a slow consumer ({@link dev.herald.core.CloseReason#SLOW_CONSUMER}). */
        CLOSE,
        /** Make the publisher wait for room, up to a timeout, then reject the publish. */
        BLOCK
    }

    private static final DeliveryPolicy DIRECT = new DeliveryPolicy(0, null, Duration.ZERO);

    private final int capacity;
    private final Overflow overflow;
    private final Duration timeout;

    private DeliveryPolicy(int capacity, Overflow overflow, Duration timeout) {
        this.capacity = capacity;
        this.overflow = overflow;
        this.timeout = timeout;
    }

    /**
     * Direct hand-off on the publisher's thread, without a queue.
     *
     * @return the direct policy
     */
    public static DeliveryPolicy direct() {
        return DIRECT;
    }

    /**
     * A queue of {@code capacity} messages that discards its oldest message when full.
     *
     * @param capacity the queue bound, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public static DeliveryPolicy dropOldest(int capacity) {
        return queued(capacity, Overflow.DROP_OLDEST, Duration.ZERO);
    }

    /**
     * A queue of {@code capacity} messages that discards arriving messages while full.
     *
     * @param capacity the queue bound, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public static DeliveryPolicy dropNewest(int capacity) {
        return queued(capacity, Overflow.DROP_NEWEST, Duration.ZERO);
    }

    /**
     * A queue of {@code capacity} messages; a message arriving while it is full closes the subscription as a
     * slow consumer, so the subscriber can resume from its last offset.
     *
     * @param capacity the queue bound, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public static DeliveryPolicy closeOnOverflow(int capacity) {
        return queued(capacity, Overflow.CLOSE, Duration.ZERO);
    }

    /**
     * A queue of {@code capacity} messages; while it is full, a publisher to a matching topic waits up to
     * {@code timeout} for room, then gets {@link dev.herald.core.RejectReason#BACKPRESSURE_TIMEOUT} and the
     * message is not published to anyone. Publishers wait before their message is sequenced, so the bound may
     * be passed by at most one message per concurrently publishing thread.
     *
     * @param capacity the queue bound, at least 1
     * @param timeout  the longest a publisher waits, positive
     * @return the policy
     * @throws IllegalArgumentException if {@code capacity} is less than 1 or {@code timeout} is not positive
     */
    public static DeliveryPolicy block(int capacity, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return queued(capacity, Overflow.BLOCK, timeout);
    }

    private static DeliveryPolicy queued(int capacity, Overflow overflow, Duration timeout) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        return new DeliveryPolicy(capacity, overflow, timeout);
    }

    /**
     * Whether this is the direct, unqueued mode.
     *
     * @return {@code true} for {@link #direct()}
     */
    public boolean isDirect() {
        return overflow == null;
    }

    /**
     * The queue bound.
     *
     * @return the capacity; 0 for the direct mode
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The overflow action.
     *
     * @return the action; {@code null} for the direct mode
     */
    public Overflow overflow() {
        return overflow;
    }

    /**
     * How long a publisher waits under {@link Overflow#BLOCK}.
     *
     * @return the timeout; zero for other policies
     */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeliveryPolicy other && capacity == other.capacity && overflow == other.overflow
                && timeout.equals(other.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(capacity, overflow, timeout);
    }

    @Override
    public String toString() {
        if (isDirect()) {
            return "DeliveryPolicy[direct]";
        }
        return "DeliveryPolicy[" + overflow + ", capacity=" + capacity
                + (overflow == Overflow.BLOCK ? ", timeout=" + timeout : "") + "]";
    }
}
