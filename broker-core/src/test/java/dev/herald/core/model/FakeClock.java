package dev.herald.core.model;

import dev.herald.core.spi.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told to. Thread-safe: the broker's sweeper may read it from its own thread. */
public final class FakeClock implements Clock {
    /** Wall time at nanoTime 0. */
    public static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant now() {
        return instantAt(nanos.get());
    }

    /** Moves time forward. */
    public void advance(long deltaNanos) {
        nanos.addAndGet(deltaNanos);
    }

    /** The wall time this clock reports when its nanoTime is {@code nanoTime}. */
    public static Instant instantAt(long nanoTime) {
        return ORIGIN.plusNanos(nanoTime);
    }
}
