package dev.herald.core.policy;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How much of each topic's past the broker keeps for history reads and resume.
 *
 * <p>The broker keeps messages oldest first and asks the policy, for the oldest one, whether it must go; it asks
 * again until the answer is no. The built-ins ({@link #none()}, {@link #lastN}, {@link #maxAge}, {@link #maxBytes},
 * combined with {@link #and}) are bounded; a custom policy must be too. Implementations must be thread-safe,
 * fast and side-effect free: they are called while a topic is held. If a policy throws, the broker keeps the
 * message it asked about (the message being published is still delivered) and logs the first failure per topic.
 */
@FunctionalInterface
public interface HistoryPolicy {

    /**
     * Whether the oldest retained message of a topic must be evicted.
     *
     * @param retainedCount  how many messages the topic retains, including the oldest
     * @param retainedBytes  their total weight, as measured by the broker's payload weigher
     * @param oldestAgeNanos how long ago the oldest one was accepted, in nanoseconds of the broker's clock
     * @return {@code true} to evict the oldest message
     */
    boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos);

    /**
     * Keep nothing: history reads are empty and every resume starts live.
     *
     * @return the policy
     */
    static HistoryPolicy none() {
        return HistoryPolicies.NONE;
    }

    /**
     * Keep the latest {@code count} messages of each topic.
     *
     * @param count how many, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code count} is less than 1
     */
    static HistoryPolicy lastN(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, was " + count);
        }
        return new HistoryPolicies.CountBound(count);
    }

    /**
     * Keep messages younger than {@code age}. Messages past it are evicted when the topic is next touched or by
     * the broker's periodic sweep.
     *
     * @param age the longest a message is kept, positive
     * @return the policy
     * @throws IllegalArgumentException if {@code age} is not positive
     */
    static HistoryPolicy maxAge(Duration age) {
        Objects.requireNonNull(age, "age");
        if (age.isNegative() || age.isZero()) {
            throw new IllegalArgumentException("age must be positive, was " + age);
        }
        long nanos = age.toNanos();
        return new HistoryPolicies.AgeBound(nanos);
    }

    /**
     * Keep at most {@code bytes} of payload per topic, by the broker's payload weigher.
     *
     * @param bytes the bound, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code bytes} is less than 1
     */
    static HistoryPolicy maxBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes must be >= 1, was " + bytes);
        }
        return new HistoryPolicies.ByteBound(bytes);
    }

    /**
     * A policy that keeps a message only while both this one and {@code other} would keep it.
     *
     * @param other the other policy
     * @return the combined policy
     */
    default HistoryPolicy and(HistoryPolicy other) {
        Objects.requireNonNull(other, "other");
        HistoryPolicy self = this;
        return new HistoryPolicy() {
            @Override
            public boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos) {
                return self.evictOldest(retainedCount, retainedBytes, oldestAgeNanos)
                        || other.evictOldest(retainedCount, retainedBytes, oldestAgeNanos);
            }

            @Override
            public boolean expiresByAge() {
                return self.expiresByAge() || other.expiresByAge();
            }

            @Override
            public Optional<HistoryLimits> limits() {
                Optional<HistoryLimits> mine = self.limits();
                Optional<HistoryLimits> theirs = other.limits();
                return mine.isPresent() && theirs.isPresent()
                        ? Optional.of(mine.get().and(theirs.get())) : Optional.empty();
            }
        };
    }

    /**
     * The bounds of a built-in policy (or of built-ins combined with {@link #and}), for engines that apply them
     * outside this JVM; empty for a custom policy, which only its own code can evaluate.
     *
     * @return the bounds, or empty
     * @since 0.2
     */
    default Optional<HistoryLimits> limits() {
        return Optional.empty();
    }

    /**
     * Whether the policy can evict a message only because time passed; if so, the broker sweeps idle topics
     * periodically. Custom age-based policies should return {@code true}.
     *
     * @return {@code true} if eviction depends on age
     */
    default boolean expiresByAge() {
        return false;
    }
}

/** The built-in policies that are not lambdas; package-private, reached through the factories. */
final class HistoryPolicies {
    static final HistoryPolicy NONE = new HistoryPolicy() {
        @Override
        public boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos) {
            return true;
        }

        @Override
        public Optional<HistoryLimits> limits() {
            return Optional.of(HistoryLimits.NOTHING);
        }

        @Override
        public String toString() {
            return "HistoryPolicy.none()";
        }
    };

    private HistoryPolicies() {
    }

    /** Keeps the newest {@code count} messages. */
    record CountBound(int count) implements HistoryPolicy {
        @Override
        public boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos) {
            return retainedCount > count;
        }

        @Override
        public Optional<HistoryLimits> limits() {
            return Optional.of(new HistoryLimits(count, Duration.ZERO, 0, false));
        }
    }

    /** Keeps at most {@code bytes} of payload. */
    record ByteBound(long bytes) implements HistoryPolicy {
        @Override
        public boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos) {
            return retainedBytes > bytes;
        }

        @Override
        public Optional<HistoryLimits> limits() {
            return Optional.of(new HistoryLimits(0, Duration.ZERO, bytes, false));
        }
    }

    /** Evicts by age; the only built-in that needs the periodic sweep. */
    record AgeBound(long maxAgeNanos) implements HistoryPolicy {
        @Override
        public boolean evictOldest(long retainedCount, long retainedBytes, long oldestAgeNanos) {
            return oldestAgeNanos >= maxAgeNanos;
        }

        @Override
        public boolean expiresByAge() {
            return true;
        }

        @Override
        public Optional<HistoryLimits> limits() {
            return Optional.of(new HistoryLimits(0, Duration.ofNanos(maxAgeNanos), 0, false));
        }
    }
}
