package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.netty.RateLimit;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The bucket, kept as one timestamp, against the textbook token bucket (a token count refilled by the elapsed
 * time, capped at the burst): for any rate, burst and sequence of waits and attempts, the same decision and the
 * same wait every time.
 */
class TokenBucketProperties {

    /** The obviously correct model: tokens in nanoseconds of refill, so that it is exact too. */
    private static final class Model {
        final long interval;
        final long capacity;
        long credit; // nanoseconds of refill held, 0..capacity; a token is interval of it
        long at;

        Model(RateLimit limit, long now) {
            interval = limit.nanosPerPermit();
            capacity = interval * limit.burst();
            credit = capacity;
            at = now;
        }

        long tryAcquire(long now) {
            credit = Math.min(capacity, credit + (now - at));
            at = now;
            if (credit >= interval) {
                credit -= interval;
                return 0;
            }
            return interval - credit;
        }
    }

    @Property(tries = 500)
    void behavesAsATokenCountRefilledByTheClock(@ForAll @DoubleRange(min = 0.01, max = 100_000) double rate,
                                                @ForAll @IntRange(min = 1, max = 1000) int burst,
                                                @ForAll("steps") List<Long> steps) {
        RateLimit limit = RateLimit.perSecond(rate, burst);
        long[] now = {Long.MAX_VALUE - 50_000_000_000_000L}; // long runs wrap around: compares must not overflow
        TokenBucket bucket = new TokenBucket(limit, () -> now[0]);
        Model model = new Model(limit, now[0]);
        int i = 0;
        for (long step : steps) {
            now[0] += step;
            assertEquals(model.tryAcquire(now[0]), bucket.tryAcquire(), "attempt " + i + " of " + limit);
            i++;
        }
    }

    @Provide
    Arbitrary<List<Long>> steps() {
        // Mostly bursts (no time passes), some short waits, a few long ones.
        Arbitrary<Long> step = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(0L)),
                Tuple.of(3, Arbitraries.longs().between(1, 50_000_000L)),
                Tuple.of(1, Arbitraries.longs().between(0, 600_000_000_000L)));
        return step.list().ofMaxSize(300);
    }
}
