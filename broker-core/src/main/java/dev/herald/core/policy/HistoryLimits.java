package dev.herald.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of a built-in {@link HistoryPolicy}, for engines that keep history outside this JVM and must apply the
 * same bounds there (a Redis engine trims its streams with them). Each bound is either set or absent; a message
 * is evicted as soon as one set bound says so.
 *
 * @param maxCount the most messages kept per topic, or 0 for no count bound
 * @param maxAge   the longest a message is kept, or {@link Duration#ZERO} for no age bound
 * @param maxBytes the most payload bytes kept per topic, or 0 for no byte bound
 * @param keepsNothing whether the policy keeps no history at all ({@link HistoryPolicy#none()})
 * @since 0.2
 */
public record HistoryLimits(int maxCount, Duration maxAge, long maxBytes, boolean keepsNothing) {

    /** Bounds of {@link HistoryPolicy#none()}. */
    static final HistoryLimits NOTHING = new HistoryLimits(0, Duration.ZERO, 0, true);

    /**
     * Validates the components.
     *
     * @param maxCount     at least 0
     * @param maxAge       zero or positive
     * @param maxBytes     at least 0
     * @param keepsNothing whether nothing is kept
     */
    public HistoryLimits {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxCount < 0 || maxBytes < 0 || maxAge.isNegative()) {
            throw new IllegalArgumentException("bounds must not be negative: count " + maxCount + ", age " + maxAge
                    + ", bytes " + maxBytes);
        }
    }

    /**
     * The bounds of a policy that keeps a message only while both this and {@code other} would: the tighter of
     * each pair of bounds.
     *
     * @param other the other bounds
     * @return the combined bounds
     */
    public HistoryLimits and(HistoryLimits other) {
        if (keepsNothing || other.keepsNothing) {
            return NOTHING;
        }
        return new HistoryLimits(tighter(maxCount, other.maxCount),
                maxAge.isZero() ? other.maxAge : other.maxAge.isZero() || maxAge.compareTo(other.maxAge) < 0
                        ? maxAge : other.maxAge,
                tighter(maxBytes, other.maxBytes), false);
    }

    /**
     * Whether the policy bounds age, so that its messages expire with time.
     *
     * @return {@code true} if {@link #maxAge()} is set
     */
    public boolean boundsAge() {
        return !maxAge.isZero();
    }

    private static long tighter(long a, long b) {
        return a == 0 ? b : b == 0 ? a : Math.min(a, b);
    }

    private static int tighter(int a, int b) {
        return (int) tighter((long) a, (long) b);
    }
}
