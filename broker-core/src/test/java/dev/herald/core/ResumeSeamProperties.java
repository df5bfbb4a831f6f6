package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * G4 at the seam between replay and live delivery when the engine answers history reads late, as a remote
 * engine does: publishes land while the subscription waits for its replay. The engine here is the in-memory one
 * with reads held back until the test releases them, and it either takes the read's snapshot when asked (the
 * publishes that land meanwhile are not in it) or when it answers (they are). Either way the subscriber must get
 * one gapless, duplicate-free run of offsets that contains every message published after it asked to subscribe.
 */
class ResumeSeamProperties {
    private static final String TOPIC = "room.7";

    /** The in-memory engine with history reads that complete only when released. */
    static final class LateReadEngine<T> extends ForwardingEngine<T> {
        private final InMemoryEngine<T> delegate;
        private final boolean snapshotWhenAnswering;

        @Override
        protected Engine<T> delegate() {
            return delegate;
        }
        private final List<Runnable> held = new ArrayList<>();
        boolean holding;

        LateReadEngine(InMemoryEngine<T> delegate, boolean snapshotWhenAnswering) {
            this.delegate = delegate;
            this.snapshotWhenAnswering = snapshotWhenAnswering;
        }

        @Override
        public CompletionStage<History<T>> read(String topic, HistoryQuery query) {
            if (!holding) {
                return delegate.read(topic, query);
            }
            CompletableFuture<History<T>> answer = new CompletableFuture<>();
            if (snapshotWhenAnswering) {
                held.add(() -> answer.complete(delegate.read(topic, query).toCompletableFuture().join()));
            } else {
                History<T> snapshot = delegate.read(topic, query).toCompletableFuture().join();
                held.add(() -> answer.complete(snapshot));
            }
            return answer;
        }

        /** Answers every held read, and any read those answers lead to. */
        void release() {
            holding = false;
            while (!held.isEmpty()) {
                held.remove(0).run();
            }
        }







    }

    /** How the subscription starts: from {@code back} messages before the end, or replaying the last {@code n}. */
    record Start(boolean fromPosition, int n, boolean foreignEpoch) {
        @Override
        public String toString() {
            return fromPosition ? "from(latest-" + n + (foreignEpoch ? ", another epoch)" : ")") : "last(" + n + ")";
        }
    }

    @Provide
    Arbitrary<Start> starts() {
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 8),
                Arbitraries.frequency(Tuple.of(4, false), Tuple.of(1, true)))
                .as((from, n, foreign) -> new Start(from, from ? n : Math.max(1, n), from && foreign));
    }

    @Provide
    Arbitrary<DeliveryPolicy> policies() {
        return Arbitraries.of(DeliveryPolicy.direct(), DeliveryPolicy.dropOldest(1024),
                DeliveryPolicy.closeOnOverflow(1024));
    }

    @Property(tries = 400)
    void replayThenLiveIsOneGaplessRunHoldingEveryLaterMessage(
            @ForAll boolean snapshotWhenAnswering, @ForAll("starts") Start start,
            @ForAll("policies") DeliveryPolicy policy, @ForAll @IntRange(min = 1, max = 8) int retain,
            @ForAll @IntRange(min = 0, max = 10) int before, @ForAll @IntRange(min = 0, max = 6) int meanwhile,
            @ForAll @IntRange(min = 0, max = 3) int after) {
        List<LateReadEngine<String>> engines = new ArrayList<>();
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.lastN(retain))
                .engine(context -> {
                    LateReadEngine<String> engine =
                            new LateReadEngine<>(new InMemoryEngine<>(context), snapshotWhenAnswering);
                    engines.add(engine);
                    return engine;
                }).build()) {
            LateReadEngine<String> engine = engines.get(0);
            // A subscriber elsewhere keeps the topic (and its epoch) alive from the start.
            broker.subscribe(TOPIC, m -> { });
            String epoch = broker.topicStats(TOPIC).orElseThrow().position().epoch();
            for (int i = 0; i < before; i++) {
                broker.publish(TOPIC, "before");
            }
            long from = Math.max(0, before - start.n());
            SubscribeOptions options = start.fromPosition()
                    ? SubscribeOptions.from(new StreamPosition(from, start.foreignEpoch() ? "elsewhere" : epoch))
                    : SubscribeOptions.last(start.n());
            List<Long> got = new ArrayList<>();
            engine.holding = true;
            CompletableFuture<Subscription> subscribing =
                    broker.subscribeAsync(TOPIC, options.delivery(policy), m -> got.add(m.offset()))
                            .toCompletableFuture();
            for (int i = 0; i < meanwhile; i++) {
                broker.publish(TOPIC, "meanwhile");
            }
            assertFalse(subscribing.isDone(), "the replay read is still held");
            engine.release();
            Subscription subscription = subscribing.join();
            for (int i = 0; i < after; i++) {
                broker.publish(TOPIC, "after");
            }
            long last = before + meanwhile + after;

            // One run: each offset is the previous plus one.
            for (int i = 1; i < got.size(); i++) {
                assertEquals(got.get(i - 1) + 1, got.get(i), "gap or duplicate in " + got);
            }
            // Every message published once the subscribe began is there.
            for (long offset = before + 1; offset <= last; offset++) {
                assertTrue(got.contains(offset), "live message " + offset + " is missing from " + got);
            }
            if (!got.isEmpty()) {
                assertEquals(last, got.get(got.size() - 1), "the run ends with the newest message");
            }
            long replayed = got.stream().filter(o -> o <= before).count();
            long oldestBefore = Math.max(1, before - retain + 1);
            if (start.fromPosition() && !start.foreignEpoch()) {
                assertTrue(got.isEmpty() || got.get(0) > from, "a resume never repeats what the client has");
                if (subscription.recovered() && !got.isEmpty()) {
                    assertEquals(from + 1, got.get(0), "recovered() promises no gap after the position");
                }
                if (!snapshotWhenAnswering) {
                    assertEquals(from + 1 >= oldestBefore || from == before, subscription.recovered(),
                            "recovered() with retained history from " + oldestBefore);
                }
            } else if (!start.fromPosition()) {
                assertTrue(replayed <= start.n(), "at most " + start.n() + " replayed: " + got);
                if (!snapshotWhenAnswering) {
                    assertEquals(Math.min(start.n(), Math.min(retain, before)), replayed, "replayed: " + got);
                }
            }
            SubscriptionStats stats = subscription.stats();
            assertEquals(got.size(), stats.delivered(), "delivered count");
            assertEquals(0, stats.dropped(), "nothing dropped");
        }
    }
}
