package dev.herald.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.ForwardingEngine;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * G4 at the seam between replay and live delivery when the engine answers history reads late: publishes land while
 * the subscription waits for its replay. The engine under test is wrapped so that its reads are held until the
 * test releases them, and the read either takes its snapshot when asked (the publishes that land meanwhile are not
 * in it) or when it answers (they are). Either way the subscriber must get one gapless, duplicate-free run of
 * offsets that contains every message published after it asked to subscribe. One subclass per engine runs it.
 */
public abstract class ResumeSeamContract {
    private static final String TOPIC = "room.7";

    /**
     * The engine the suite runs over.
     *
     * @return the engine
     */
    protected abstract EngineUnderTest engine();

    /** An engine with history reads that complete only when released. */
    public static final class LateReadEngine<T> extends ForwardingEngine<T> {
        private final Engine<T> delegate;
        private final boolean snapshotWhenAnswering;
        private final List<Runnable> held = new ArrayList<>();
        /** Whether reads are held; set by the test thread while no read is in flight. */
        public volatile boolean holding;

        @Override
        protected Engine<T> delegate() {
            return delegate;
        }

        /**
         * Wraps an engine.
         *
         * @param delegate              the engine whose reads are held
         * @param snapshotWhenAnswering whether a held read reads when released rather than when asked
         */
        public LateReadEngine(Engine<T> delegate, boolean snapshotWhenAnswering) {
            this.delegate = delegate;
            this.snapshotWhenAnswering = snapshotWhenAnswering;
        }

        @Override
        public synchronized CompletionStage<History<T>> read(String topic, HistoryQuery query) {
            if (!holding) {
                return delegate.read(topic, query);
            }
            CompletableFuture<History<T>> answer = new CompletableFuture<>();
            if (snapshotWhenAnswering) {
                held.add(() -> relay(delegate.read(topic, query), answer));
            } else {
                CompletionStage<History<T>> snapshot = delegate.read(topic, query);
                held.add(() -> relay(snapshot, answer));
            }
            return answer;
        }

        private static <V> void relay(CompletionStage<V> from, CompletableFuture<V> to) {
            from.whenComplete((value, failure) -> {
                if (failure != null) {
                    to.completeExceptionally(failure);
                } else {
                    to.complete(value);
                }
            });
        }

        /** Answers every held read, and any read those answers lead to. */
        public void release() {
            List<Runnable> answers;
            synchronized (this) {
                holding = false;
                answers = new ArrayList<>(held);
                held.clear();
            }
            for (Runnable answer : answers) {
                answer.run();
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

    @Property
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
                            new LateReadEngine<>(engine().freshEngine().create(context), snapshotWhenAnswering);
                    engines.add(engine);
                    return engine;
                }).build()) {
            LateReadEngine<String> engine = engines.get(0);
            // A subscriber elsewhere keeps the topic (and its epoch) alive from the start.
            List<Long> kept = new CopyOnWriteArrayList<>();
            Subscription keeper = broker.subscribe(TOPIC, m -> kept.add(m.offset()));
            String epoch = broker.topicStats(TOPIC).orElseThrow().position().epoch();
            for (int i = 0; i < before; i++) {
                broker.publish(TOPIC, "before");
            }
            // "Before" means before on this node: once the node has handed them to a subscriber, a subscription made
            // later cannot get them live. An engine that delivers through its store does so a moment after the
            // publish completes; until then they are on their way, and a new subscription takes them as live.
            awaitDelivered(keeper, kept, before);
            long from = Math.max(0, before - start.n());
            SubscribeOptions options = start.fromPosition()
                    ? SubscribeOptions.from(new StreamPosition(from, start.foreignEpoch() ? "elsewhere" : epoch))
                    : SubscribeOptions.last(start.n());
            List<Long> got = new CopyOnWriteArrayList<>();
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
            awaitDelivered(subscription, got, last);

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

    /**
     * For an engine that delivers after the publish completed: waits until the newest message arrived and the
     * subscription counted every message it delivered. Returns at once for the others.
     */
    private void awaitDelivered(Subscription subscription, List<Long> got, long last) {
        if (engine().deliversBeforePublishCompletes()) {
            return;
        }
        long deadline = System.nanoTime() + engine().deliveryTimeout().toNanos();
        while (System.nanoTime() - deadline < 0) {
            int size = got.size();
            if ((last == 0 || size > 0 && got.get(size - 1) == last) && subscription.stats().delivered() == size) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }
}
