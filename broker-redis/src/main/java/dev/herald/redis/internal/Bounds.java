package dev.herald.redis.internal;

import dev.herald.core.policy.HistoryLimits;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The history bounds as the library's functions take them, and the clock arithmetic around them. A node computes
 * the age cutoff from its own clock, the one that stamped the messages, so ages mean the same on every call even
 * when Redis's clock differs.
 */
final class Bounds {
    final boolean keeps;
    final byte[] maxCount;
    final byte[] maxBytes;
    private final long maxAgeMicros;

    Bounds(HistoryLimits limits) {
        this.keeps = !limits.keepsNothing();
        this.maxCount = Library.arg(limits.maxCount());
        this.maxBytes = Library.arg(limits.maxBytes());
        this.maxAgeMicros = limits.boundsAge() ? TimeUnit.NANOSECONDS.toMicros(limits.maxAge().toNanos()) : -1;
    }

    /** Messages accepted at or before this many microseconds since the epoch are too old at {@code now}. */
    byte[] cutoff(Instant now) {
        return Library.arg(maxAgeMicros < 0 ? -1 : micros(now) - maxAgeMicros);
    }

    static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
    }

    static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    static Instant instantOfNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
