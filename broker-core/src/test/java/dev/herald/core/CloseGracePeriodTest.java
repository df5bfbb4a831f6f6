package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.herald.core.spi.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class CloseGracePeriodTest {

    /** A clock that never moves, as a test's fake clock does when nobody advances it. */
    private static final Clock FROZEN = new Clock() {
        @Override
        public long nanoTime() {
            return 42;
        }

        @Override
        public Instant now() {
            return Instant.EPOCH;
        }
    };

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeGivesUpOnStuckDeliveriesAfterTheGracePeriodEvenWithAFrozenClock() {
        List<Runnable> neverRun = new ArrayList<>();
        Broker<String> broker = Broker.<String>builder()
                .clock(FROZEN)
                .executor(neverRun::add)
                .closeGracePeriod(Duration.ofMillis(50))
                .build();
        Subscription subscription = broker.subscribe("stuck", m -> { });
        broker.publish("stuck", "a");
        broker.publish("stuck", "b");
        assertEquals(2, subscription.stats().pending());

        broker.close();

        assertFalse(subscription.isOpen());
        assertEquals(2, subscription.stats().droppedOnClose());
    }
}
