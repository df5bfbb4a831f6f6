package dev.herald.core;

import dev.herald.core.policy.DeliveryPolicy;
import java.util.Objects;

/**
 * Where a subscription starts and how it is delivered. Immutable.
 *
 * <p>By default a subscription starts live (only messages published after it opens) with the broker's default
 * delivery policy. To resume, use {@link #from(StreamPosition)}: retained messages after the position are
 * delivered first, then live ones, with no gap and no duplicate at the seam. {@link #last(int)} replays the
 * newest retained messages first. Resuming works on topic names only, not on patterns.
 */
public final class SubscribeOptions {
    private static final SubscribeOptions LIVE = new SubscribeOptions(null, 0, null);

    private final StreamPosition from;
    private final int last;
    private final DeliveryPolicy delivery;

    private SubscribeOptions(StreamPosition from, int last, DeliveryPolicy delivery) {
        this.from = from;
        this.last = last;
        this.delivery = delivery;
    }

    /**
     * Start live, with the broker's default delivery policy.
     *
     * @return the options
     */
    public static SubscribeOptions live() {
        return LIVE;
    }

    /**
     * Resume after {@code position}: first the retained messages with a greater offset, then live ones.
     *
     * @param position the last position the subscriber has
     * @return the options
     */
    public static SubscribeOptions from(StreamPosition position) {
        return new SubscribeOptions(Objects.requireNonNull(position, "position"), 0, null);
    }

    /**
     * Replay the newest {@code n} retained messages first, then go live.
     *
     * @param n how many, at least 1
     * @return the options
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public static SubscribeOptions last(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("last must be >= 1, was " + n);
        }
        return new SubscribeOptions(null, n, null);
    }

    /**
     * A copy with a delivery policy of its own instead of the broker's default.
     *
     * @param policy the policy
     * @return the new options
     */
    public SubscribeOptions delivery(DeliveryPolicy policy) {
        return new SubscribeOptions(from, last, Objects.requireNonNull(policy, "policy"));
    }

    /**
     * The resume position.
     *
     * @return the position, or {@code null} if not resuming from one
     */
    public StreamPosition fromPosition() {
        return from;
    }

    /**
     * How many of the newest messages to replay.
     *
     * @return the count, or 0 if not replaying the last messages
     */
    public int lastCount() {
        return last;
    }

    /**
     * The delivery policy of this subscription.
     *
     * @return the policy, or {@code null} for the broker's default
     */
    public DeliveryPolicy deliveryPolicy() {
        return delivery;
    }

    /**
     * Whether the subscription replays history before going live.
     *
     * @return {@code true} with {@link #from} or {@link #last}
     */
    public boolean replays() {
        return from != null || last > 0;
    }

    @Override
    public String toString() {
        return "SubscribeOptions[" + (from != null ? "from=" + from : last > 0 ? "last=" + last : "live")
                + (delivery != null ? ", " + delivery : "") + "]";
    }
}
