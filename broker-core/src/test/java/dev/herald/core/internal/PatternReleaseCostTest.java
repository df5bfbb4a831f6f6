package dev.herald.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.Message;
import dev.herald.core.Topics;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import dev.herald.core.spi.EngineContext;
import dev.herald.core.spi.EngineListener;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Closing a pattern subscription rechecks only the topics that pattern matches, and closing after the engine is
 * closed rechecks nothing: with many subscribed topics and many patterns, closing every pattern used to recheck
 * every held topic each time, which made a broker with 100k topics and 10k patterns take minutes to close.
 */
class PatternReleaseCostTest {
    private final Set<String> filters = new HashSet<>();
    private final AtomicInteger checks = new AtomicInteger();
    private final InMemoryEngine<String> engine = new InMemoryEngine<>(
            new EngineContext<>(Clock.system(), HistoryPolicy.none(), s -> 1, 1_000_000));

    PatternReleaseCostTest() {
        engine.start(new EngineListener<>() {
            @Override
            public void onMessage(Message<String> message) {
            }

            @Override
            public boolean hasSubscribers(String topic) {
                checks.incrementAndGet();
                return filters.stream().anyMatch(f -> Topics.matches(f, topic));
            }
        });
    }

    private void subscribe(String filter) {
        filters.add(filter);
        engine.interest(filter, true);
    }

    private void unsubscribe(String filter) {
        filters.remove(filter);
        engine.interest(filter, false);
    }

    @Test
    void closingAPatternRechecksOnlyTheTopicsItMatches() {
        for (int i = 0; i < 100; i++) {
            subscribe("held." + i);
            engine.publish("held." + i, "m");
        }
        subscribe("orders.*");
        engine.publish("orders.eu", "m");
        engine.publish("orders.us", "m");
        checks.set(0);

        unsubscribe("orders.*");

        assertEquals(2, checks.get(), "only orders.eu and orders.us may be rechecked");
        assertEquals(100, engine.topicCount());
    }

    @Test
    void interestWithdrawnAfterTheEngineClosedRechecksNothing() {
        for (int i = 0; i < 100; i++) {
            subscribe("held." + i);
            engine.publish("held." + i, "m");
        }
        subscribe("held.*");
        engine.close();
        checks.set(0);

        unsubscribe("held.*");
        unsubscribe("held.7");

        assertEquals(0, checks.get());
    }
}
