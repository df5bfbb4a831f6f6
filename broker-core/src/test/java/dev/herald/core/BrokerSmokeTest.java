package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BrokerSmokeTest {

    @Test
    void publishedMessagesReachExactAndWildcardSubscribersInOrder() {
        try (Broker<String> broker = Broker.<String>builder()
                .executor(Runnable::run).history(HistoryPolicy.lastN(10)).build()) {
            List<Long> exact = new ArrayList<>();
            List<String> wildcard = new ArrayList<>();
            broker.subscribe("orders.eu", m -> exact.add(m.offset()));
            broker.subscribe("orders.>", m -> wildcard.add(m.topic() + ":" + m.offset()));
            broker.publish("orders.eu", "a");
            broker.publish("orders.us", "b");
            broker.publish("orders.eu", "c");
            assertEquals(List.of(1L, 2L), exact);
            assertEquals(List.of("orders.eu:1", "orders.us:1", "orders.eu:2"), wildcard);

            List<String> resumed = new ArrayList<>();
            StreamPosition position = new StreamPosition(1, broker.topicStats("orders.eu").orElseThrow().position().epoch());
            Subscription s = broker.subscribe("orders.eu", SubscribeOptions.from(position), m -> resumed.add(m.data()));
            assertTrue(s.recovered());
            broker.publish("orders.eu", "d");
            assertEquals(List.of("c", "d"), resumed);
        }
    }
}
