package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.model.ReferenceBroker;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Routing by topic name and pattern, against the model's segment-by-segment matching: every message reaches
 * exactly the open subscriptions whose filter matches its topic, however the filters overlap, and closing some
 * of them (which prunes the pattern index) changes nothing for the others.
 */
class PatternRoutingProperties {

    @Provide
    Arbitrary<String> filters() {
        Arbitrary<String> segment = Arbitraries.of("a", "b", "c", "*");
        return segment.list().ofMinSize(1).ofMaxSize(4).flatMap(segments ->
                Arbitraries.of(true, false).map(rest -> {
                    List<String> all = new ArrayList<>(segments);
                    if (rest) {
                        all.add(">");
                    }
                    return String.join(".", all);
                }));
    }

    @Provide
    Arbitrary<String> topics() {
        return Arbitraries.of("a", "b", "c").list().ofMinSize(1).ofMaxSize(5).map(s -> String.join(".", s));
    }

    @Property(tries = 300)
    void topicsMatchExactlyAsTheModelSays(@ForAll("filters") String filter, @ForAll("topics") String topic) {
        assertEquals(ReferenceBroker.matches(filter, topic), Topics.matches(filter, topic), filter + " vs " + topic);
        assertEquals(ReferenceBroker.isPattern(filter), Topics.isPattern(filter), filter);
    }

    @Property(tries = 200)
    void everyMessageReachesExactlyTheMatchingOpenSubscriptions(
            @ForAll @Size(min = 1, max = 12) List<@From("filters") String> filters,
            @ForAll @Size(min = 1, max = 10) List<@From("topics") String> topics,
            @ForAll @Size(12) List<Boolean> keepOpen) {
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.none()).build()) {
            List<Subscription> subscriptions = new ArrayList<>();
            List<List<String>> received = new ArrayList<>();
            for (String filter : filters) {
                List<String> got = new ArrayList<>();
                received.add(got);
                // A fresh String per subscription, as filters parsed from requests are.
                subscriptions.add(broker.subscribe(new StringBuilder(filter).toString(), m -> got.add(m.topic())));
            }
            List<List<String>> expected = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                expected.add(new ArrayList<>());
            }
            publishToAll(broker, topics, filters, expected, null);
            assertEquals(expected, received, "with every subscription open");

            List<Boolean> open = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                open.add(keepOpen.get(i));
                if (!keepOpen.get(i)) {
                    subscriptions.get(i).close();
                }
            }
            publishToAll(broker, topics, filters, expected, open);
            assertEquals(expected, received, "after closing some: " + open);

            for (Subscription subscription : subscriptions) {
                subscription.close();
            }
            assertEquals(0, broker.stats().topics(), "no subscriber and no history: no topic left");
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    private static void publishToAll(Broker<String> broker, List<String> topics, List<String> filters,
                                     List<List<String>> expected, List<Boolean> open) {
        for (String topic : topics) {
            assertEquals(true, broker.publish(topic, "x").toCompletableFuture().join().accepted());
            for (int i = 0; i < filters.size(); i++) {
                if ((open == null || open.get(i)) && ReferenceBroker.matches(filters.get(i), topic)) {
                    expected.get(i).add(topic);
                }
            }
        }
    }
}
