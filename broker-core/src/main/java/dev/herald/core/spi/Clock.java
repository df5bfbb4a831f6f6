package dev.herald.core.spi;

import java.time.Instant;

/**
 * The broker's time source: monotonic nanoseconds for ages and timeouts, wall time for message timestamps.
 * Inject a fake one in tests. Implementations must be thread-safe.
 *
 * @since 0.1
 */
public interface Clock {

    /**
     * Monotonic time, as {@link System#nanoTime()}: only differences are meaningful.
     *
     * @return nanoseconds
     */
    long nanoTime();

    /**
     * Wall-clock time, stamped on each message.
     *
     * @return now
     */
    Instant now();

    /**
     * The system clock.
     *
     * @return a clock backed by {@link System#nanoTime()} and {@link Instant#now()}
     */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}

/** The default clock. */
enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant now() {
        return Instant.now();
    }
}
