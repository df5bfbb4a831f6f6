package dev.herald.netty;

/**
 * A token-bucket rate: a sustained rate of permits per second and a burst, the number of permits that may be used
 * at once after a quiet spell. A bucket starts full with {@link #burst()} permits and gains {@link #perSecond()}
 * permits each second, up to the burst; each request, command, publish or connection takes one, and one that finds
 * the bucket empty is refused. {@link #off()} means no limit. Immutable and thread-safe.
 *
 * <pre>{@code
 * HeraldServerConfig.builder()
 *         .requestRateLimit(RateLimit.perSecond(50, 100))  // 50 per second, 100 at once
 *         .connectionRateLimit(RateLimit.off())           // no limit on new connections per address
 *         .build();
 * }</pre>
 */
public final class RateLimit {
    private static final RateLimit OFF = new RateLimit(0, 0);
    /** The longest a full bucket may take to refill, so that its arithmetic in nanoseconds cannot overflow. */
    private static final double MAX_REFILL_SECONDS = 100L * 365 * 24 * 3600;

    private final double perSecond;
    private final int burst;

    private RateLimit(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /**
     * A limit of {@code perSecond} permits per second with bursts of up to {@code burst}.
     *
     * @param perSecond the sustained rate, greater than 0 and at most 1,000,000,000 (fractions allowed:
     *                  {@code 0.5} is one every two seconds)
     * @param burst     the most permits available at once, at least 1
     * @return the limit
     * @throws IllegalArgumentException naming the value, if the rate or the burst is out of range, or the bucket
     *                                  would take more than 100 years to refill
     */
    public static RateLimit perSecond(double perSecond, int burst) {
        if (!(perSecond > 0 && perSecond <= 1e9)) {
            throw new IllegalArgumentException("rate must be greater than 0 and at most 1e9 per second, was "
                    + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1, was " + burst);
        }
        if (burst / perSecond > MAX_REFILL_SECONDS) {
            throw new IllegalArgumentException("a burst of " + burst + " at " + perSecond
                    + " per second takes more than 100 years to refill");
        }
        return new RateLimit(perSecond, burst);
    }

    /**
     * No limit.
     *
     * @return the unlimited rate
     */
    public static RateLimit off() {
        return OFF;
    }

    /**
     * Whether this is {@link #off()}.
     *
     * @return {@code true} if nothing is limited
     */
    public boolean isOff() {
        return burst == 0;
    }

    /**
     * The sustained rate.
     *
     * @return permits per second; 0 if {@link #isOff() off}
     */
    public double perSecond() {
        return perSecond;
    }

    /**
     * The most permits available at once.
     *
     * @return the burst; 0 if {@link #isOff() off}
     */
    public int burst() {
        return burst;
    }

    /**
     * The time between two permits at the sustained rate.
     *
     * @return nanoseconds, at least 1; 0 if {@link #isOff() off}
     */
    public long nanosPerPermit() {
        return isOff() ? 0 : Math.max(1, Math.round(1e9 / perSecond));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RateLimit other && other.burst == burst
                && Double.compare(other.perSecond, perSecond) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(perSecond) * 31 + burst;
    }

    /** @return {@code off}, or the rate and burst such as {@code 100/s burst 200} */
    @Override
    public String toString() {
        if (isOff()) {
            return "off";
        }
        String rate = perSecond == Math.rint(perSecond) ? Long.toString((long) perSecond)
                : Double.toString(perSecond);
        return rate + "/s burst " + burst;
    }
}
