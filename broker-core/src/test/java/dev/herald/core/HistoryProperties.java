package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.model.FakeClock;
import dev.herald.core.model.ReferenceBroker;
import dev.herald.core.model.ReferenceBroker.Msg;
import dev.herald.core.policy.HistoryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * G3 over long runs of one topic: hundreds of publishes with time passing, under count, weight and age bounds,
 * so the history ring grows, wraps, empties and starts again; after each burst every kind of read returns what
 * the model retains. A subscription keeps the topic (and its offsets) alive while its history empties.
 */
class HistoryProperties {
    private static final String TOPIC = "metrics.cpu";

    /** One history bound, as the broker's policy and as the model's parameters. */
    record Bound(String name, HistoryPolicy policy, int maxCount, long maxAgeNanos, long maxBytes) {
        @Override
        public String toString() {
            return name;
        }
    }

    @Provide
    Arbitrary<Bound> bounds() {
        Arbitrary<Bound> count = Arbitraries.integers().between(1, 40)
                .map(n -> new Bound("lastN(" + n + ")", HistoryPolicy.lastN(n), n, Long.MAX_VALUE, Long.MAX_VALUE));
        Arbitrary<Bound> bytes = Arbitraries.integers().between(1, 120)
                .map(b -> new Bound("maxBytes(" + b + ")", HistoryPolicy.maxBytes(b), Integer.MAX_VALUE,
                        Long.MAX_VALUE, b));
        Arbitrary<Bound> age = Arbitraries.integers().between(1, 20).map(ms -> new Bound("maxAge(" + ms + "ms)",
                HistoryPolicy.maxAge(Duration.ofMillis(ms)), Integer.MAX_VALUE, TimeUnit.MILLISECONDS.toNanos(ms),
                Long.MAX_VALUE));
        Arbitrary<Bound> both = Combinators.combine(Arbitraries.integers().between(1, 30),
                Arbitraries.integers().between(1, 20)).as((n, ms) -> new Bound("lastN(" + n + ").and(maxAge(" + ms
                + "ms))", HistoryPolicy.lastN(n).and(HistoryPolicy.maxAge(Duration.ofMillis(ms))), n,
                TimeUnit.MILLISECONDS.toNanos(ms), Long.MAX_VALUE));
        return Arbitraries.oneOf(count, bytes, age, both);
    }

    /** A burst: how many messages, and how many milliseconds pass between two of them. */
    record Burst(int messages, int gapMillis) {
    }

    @Provide
    Arbitrary<List<Burst>> bursts() {
        return Combinators.combine(Arbitraries.integers().between(0, 80), Arbitraries.integers().between(0, 3))
                .as(Burst::new).list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 60)
    void historyReadsReturnWhatTheBoundRetains(@ForAll("bounds") Bound bound, @ForAll("bursts") List<Burst> bursts) {
        FakeClock clock = new FakeClock();
        ReferenceBroker model = new ReferenceBroker(bound.maxCount(), bound.maxAgeNanos(), bound.maxBytes());
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run).clock(clock)
                .history(bound.policy()).build()) {
            // Held open so the topic and its offsets outlive an empty history.
            List<Long> live = new ArrayList<>();
            broker.subscribe(TOPIC, m -> live.add(m.offset()));
            String epoch = broker.topicStats(TOPIC).orElseThrow().position().epoch();
            model.subscribe(TOPIC, false);
            int sequence = 0;
            for (Burst burst : bursts) {
                for (int i = 0; i < burst.messages(); i++) {
                    // Payload lengths vary, so the weight bound evicts unevenly.
                    String data = "v".repeat(1 + sequence % 7) + sequence++;
                    PublishResult.Accepted accepted = (PublishResult.Accepted)
                            broker.publish(TOPIC, data).toCompletableFuture().join();
                    assertEquals(epoch, accepted.epoch(), "the subscription keeps the topic's lifetime");
                    assertEquals(model.publish(TOPIC, data, false).message().offset(), accepted.offset());
                    long gap = TimeUnit.MILLISECONDS.toNanos(burst.gapMillis());
                    clock.advance(gap);
                    model.advance(gap);
                }
                checkReads(broker, model);
            }
            assertEquals(model.lastOffset(TOPIC), live.size(), "the live subscriber got every message");
        }
    }

    private static void checkReads(Broker<String> broker, ReferenceBroker model) {
        long last = model.lastOffset(TOPIC);
        List<HistoryQuery> queries = List.of(HistoryQuery.all(), HistoryQuery.latest(0), HistoryQuery.latest(1),
                HistoryQuery.latest(17), HistoryQuery.after(Math.max(0, last - 5), 3),
                HistoryQuery.after(Math.max(0, last - 30), 100), HistoryQuery.after(last, 10),
                new HistoryQuery(Math.max(0, last - 20), 4, true));
        for (HistoryQuery query : queries) {
            History<String> history = broker.history(TOPIC, query).toCompletableFuture().join();
            ReferenceBroker.HistoryResult expected =
                    model.history(TOPIC, query.afterOffset(), query.limit(), query.latest(), false);
            assertEquals(describe(expected.messages()), describeReal(history.messages()), query.toString());
            assertEquals(expected.positionOffset(), history.position().offset(), "position, " + query);
            assertEquals(expected.oldestOffset(), history.oldestOffset(), "oldest offset, " + query);
        }
        TopicStats stats = broker.topicStats(TOPIC).orElseThrow();
        List<Msg> retained = model.retained(TOPIC);
        assertEquals(retained.size(), stats.retained(), "retained count");
        assertEquals(retained.stream().mapToLong(m -> m.data().length()).sum(), stats.retainedBytes(),
                "retained bytes");
    }

    private static List<String> describe(List<Msg> messages) {
        List<String> out = new ArrayList<>();
        for (Msg m : messages) {
            out.add(m.offset() + "=" + m.data() + "@" + FakeClock.instantAt(m.acceptedNanos()));
        }
        return out;
    }

    private static List<String> describeReal(List<Message<String>> messages) {
        List<String> out = new ArrayList<>();
        for (Message<String> m : messages) {
            out.add(m.offset() + "=" + m.data() + "@" + m.timestamp());
        }
        return out;
    }
}
