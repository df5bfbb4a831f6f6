package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.RateLimit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The token bucket on a clock the test moves: every decision and every wait is exact. */
class TokenBucketTest {
    private long now = -5_000_000_000L; // nanoTime may be negative; the bucket must not care
    private final TokenBucket bucket = new TokenBucket(RateLimit.perSecond(10, 3), () -> now);

    private void advanceMillis(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void startsFullWithTheBurstThenRefusesSayingWhenTheNextTokenComes() {
        assertEquals(3, bucket.available());
        assertTrue(bucket.isFull());
        assertEquals(0, bucket.tryAcquire());
        assertFalse(bucket.isFull());
        assertEquals(0, bucket.tryAcquire());
        assertEquals(0, bucket.tryAcquire());
        assertEquals(0, bucket.available());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), bucket.tryAcquire(), "one token every 100 ms");
        advanceMillis(60);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(40), bucket.tryAcquire());
        advanceMillis(40);
        assertEquals(0, bucket.tryAcquire(), "the token came when it said");
        assertTrue(bucket.tryAcquire() > 0);
    }

    @Test
    void aRefusedAttemptTakesNothing() {
        for (int i = 0; i < 3; i++) {
            assertEquals(0, bucket.tryAcquire());
        }
        for (int i = 0; i < 1000; i++) {
            assertTrue(bucket.tryAcquire() > 0);
        }
        advanceMillis(100);
        assertEquals(0, bucket.tryAcquire(), "a thousand refusals did not push the next token back");
    }

    @Test
    void refillsAtTheRateButNeverPastTheBurst() {
        for (int i = 0; i < 3; i++) {
            bucket.tryAcquire();
        }
        advanceMillis(250);
        assertEquals(2, bucket.available(), "2.5 tokens in 250 ms, 2 of them whole");
        advanceMillis(3_600_000);
        assertEquals(3, bucket.available(), "an hour later: the burst, not 36,000");
        assertTrue(bucket.isFull());
        for (int i = 0; i < 3; i++) {
            assertEquals(0, bucket.tryAcquire());
        }
        assertTrue(bucket.tryAcquire() > 0);
    }

    @Test
    void aSteadyClientAtTheRateIsNeverRefused() {
        for (int i = 0; i < 10_000; i++) {
            assertEquals(0, bucket.tryAcquire(), "request " + i);
            advanceMillis(100);
        }
    }

    @Test
    void fractionalRates() {
        TokenBucket slow = new TokenBucket(RateLimit.perSecond(0.5, 1), () -> now);
        assertEquals(0, slow.tryAcquire());
        assertEquals(TimeUnit.SECONDS.toNanos(2), slow.tryAcquire());
        advanceMillis(2000);
        assertEquals(0, slow.tryAcquire());
    }

    @Test
    void rateLimitsAreValidatedAndPrinted() {
        assertEquals("10/s burst 3", RateLimit.perSecond(10, 3).toString());
        assertEquals("0.5/s burst 1", RateLimit.perSecond(0.5, 1).toString());
        assertEquals("off", RateLimit.off().toString());
        assertTrue(RateLimit.off().isOff());
        assertEquals(RateLimit.perSecond(10, 3), RateLimit.perSecond(10, 3));
        assertEquals(100_000_000L, RateLimit.perSecond(10, 3).nanosPerPermit());
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 2e9}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RateLimit.perSecond(bad, 1));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RateLimit.perSecond(1, 0))
                .getMessage().contains("0"));
        assertThrows(IllegalArgumentException.class, () -> RateLimit.perSecond(1e-9, Integer.MAX_VALUE),
                "a bucket that takes longer than 100 years to fill");
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(RateLimit.off(), () -> now));
    }
}
