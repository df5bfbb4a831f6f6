package dev.herald.netty.internal;

import dev.herald.netty.RateLimit;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One token bucket of a {@link RateLimit}: starts full with {@code burst} tokens and gains one every
 * {@code 1/rate} seconds, up to {@code burst}; {@link #tryAcquire()} takes one or says how long until one is there.
 *
 * <p>Kept as a single number, the time at which the bucket will be full again (the "theoretical arrival time" of
 * the generic cell rate algorithm, which is exactly a token bucket): taking a token moves it one interval later,
 * and a token is there while it is at most {@code burst} intervals ahead of now. No refill task, no floating point
 * on the hot path; an idle bucket costs nothing. A refused attempt takes nothing.
 *
 * <p>Not thread-safe: one owner (a connection's event loop), or callers that hold a lock around every call.
 * Time comes from the injected clock (nanoseconds, as {@link System#nanoTime()}), so tests can drive it.
 */
public final class TokenBucket {
    private final long interval;
    private final long capacity;
    private final LongSupplier clock;
    /** When the bucket is full again; at or before now means full. */
    private long fullAt;

    /**
     * Creates a full bucket.
     *
     * @param limit the rate and burst; not {@link RateLimit#off()}
     * @param clock nanoseconds, monotonic
     * @throws IllegalArgumentException if the limit is off
     */
    public TokenBucket(RateLimit limit, LongSupplier clock) {
        if (limit.isOff()) {
            throw new IllegalArgumentException("a bucket needs a limit, was off");
        }
        this.interval = limit.nanosPerPermit();
        this.capacity = interval * limit.burst();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.fullAt = clock.getAsLong();
    }

    /**
     * Takes a token if there is one.
     *
     * @return 0 if a token was taken; otherwise how long until one is there, in nanoseconds (at least 1), and
     *         nothing was taken
     */
    public long tryAcquire() {
        long now = clock.getAsLong();
        long start = fullAt - now < 0 ? now : fullAt;
        long next = start + interval;
        long excess = next - now - capacity;
        if (excess > 0) {
            return excess;
        }
        fullAt = next;
        return 0;
    }

    /**
     * Whether the bucket holds all its tokens, so that it is no different from a new one.
     *
     * @return {@code true} if full
     */
    public boolean isFull() {
        return fullAt - clock.getAsLong() <= 0;
    }

    /**
     * The tokens there now; for tests and diagnostics.
     *
     * @return whole tokens, 0 to burst
     */
    public long available() {
        long debt = Math.max(0, fullAt - clock.getAsLong());
        return (capacity - debt) / interval;
    }
}
