package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the broker does with the parts of the engine SPI that a shared engine needs: interest that takes effect
 * later, interest that fails, messages for one audience only, and a topic whose stream cannot go on.
 */
@Timeout(10)
class EngineSeamTest {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    /** The in-memory engine, with interest declarations that complete only when the test says so. */
    private static final class SlowInterestEngine extends ForwardingEngine<String> {
        final InMemoryEngine<String> delegate;
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        final List<String> reads = new ArrayList<>();
        EngineListener<String> listener;
        boolean holding = true;

        SlowInterestEngine(InMemoryEngine<String> delegate) {
            this.delegate = delegate;
        }

        @Override
        protected Engine<String> delegate() {
            return delegate;
        }

        @Override
        public void start(EngineListener<String> listener) {
            this.listener = listener;
            super.start(listener);
        }

        @Override
        public CompletionStage<Void> interest(String filter, boolean interested) {
            CompletionStage<Void> done = super.interest(filter, interested);
            if (!interested || !holding) {
                return done;
            }
            CompletableFuture<Void> later = new CompletableFuture<>();
            pending.add(later);
            return later;
        }

        @Override
        public CompletionStage<History<String>> read(String topic, HistoryQuery query) {
            reads.add(topic);
            return super.read(topic, query);
        }

        final List<CompletableFuture<Void>> reaching = new ArrayList<>();
        final List<StreamPosition> reachedFor = new ArrayList<>();
        boolean holdingReach;

        @Override
        public CompletionStage<Void> liveReached(String topic, StreamPosition position) {
            if (!holdingReach) {
                return super.liveReached(topic, position);
            }
            reachedFor.add(position);
            CompletableFuture<Void> later = new CompletableFuture<>();
            reaching.add(later);
            return later;
        }
    }

    private static Broker<String> broker(List<SlowInterestEngine> engines) {
        return Broker.<String>builder().executor(Runnable::run).engine(context -> {
            SlowInterestEngine engine = new SlowInterestEngine(new InMemoryEngine<>(context));
            engines.add(engine);
            return engine;
        }).build();
    }

    @Test
    void aSubscriptionReadsItsTopicOnlyOnceTheEnginesInterestIsInEffect() {
        List<SlowInterestEngine> engines = new ArrayList<>();
        try (Broker<String> broker = broker(engines)) {
            SlowInterestEngine engine = engines.get(0);
            List<Long> got = new ArrayList<>();
            CompletableFuture<Subscription> first = broker.subscribeAsync("t", SubscribeOptions.last(5),
                    m -> got.add(m.offset())).toCompletableFuture();
            CompletableFuture<Subscription> second = broker.subscribeAsync("t", SubscribeOptions.live(),
                    m -> { }).toCompletableFuture();
            assertEquals(2, engine.pending.size(), "each registration waits for the engine, not only the first");
            assertEquals(List.of(), engine.reads, "no read before the interest is in effect");
            assertFalse(first.isDone() || second.isDone());
            engine.pending.get(0).complete(null);
            assertTrue(first.isDone());
            assertFalse(second.isDone(), "the second waits for its own declaration");
            engine.pending.get(1).complete(null);
            assertTrue(second.join().isOpen());
            engine.holding = false;
            broker.publish("t", "x");
            assertEquals(List.of(1L), got);
        }
    }

    @Test
    void aSubscriptionGoesLiveOnlyOnceTheEngineHandedOnEverythingUpToItsReadsPosition() {
        List<SlowInterestEngine> engines = new ArrayList<>();
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(dev.herald.core.policy.HistoryPolicy.lastN(10)).engine(context -> {
                    SlowInterestEngine engine = new SlowInterestEngine(new InMemoryEngine<>(context));
                    engines.add(engine);
                    return engine;
                }).build()) {
            SlowInterestEngine engine = engines.get(0);
            engine.holding = false;
            broker.publish("t", "one");
            broker.publish("t", "two");
            engine.holdingReach = true;
            List<Long> got = new ArrayList<>();
            CompletableFuture<Subscription> subscribing = broker.subscribeAsync("t", SubscribeOptions.last(1),
                    m -> got.add(m.offset())).toCompletableFuture();
            assertEquals(1, engine.reaching.size(), "the broker asks once the replay is read");
            assertEquals(2, engine.reachedFor.get(0).offset(), "for the read's position");
            assertFalse(subscribing.isDone(), "not live before the engine got there");
            broker.publish("t", "three");
            assertEquals(List.of(), got, "nothing delivered meanwhile");
            engine.reaching.get(0).complete(null);
            assertTrue(subscribing.join().recovered());
            assertEquals(List.of(2L, 3L), got, "the replay, then what came live meanwhile");
        }
    }

    @Test
    void aFailedInterestFailsTheSubscribeWithItsReasonAndLeavesNothingRegistered() {
        List<SlowInterestEngine> engines = new ArrayList<>();
        try (Broker<String> broker = broker(engines)) {
            SlowInterestEngine engine = engines.get(0);
            List<Long> got = new ArrayList<>();
            CompletableFuture<Subscription> subscribing = broker.subscribeAsync("t", SubscribeOptions.live(),
                    m -> got.add(m.offset())).toCompletableFuture();
            engine.pending.get(0).completeExceptionally(
                    new HeraldException(RejectReason.ENGINE_UNAVAILABLE, "store unreachable"));
            CompletionException failure = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                    subscribing::join);
            assertEquals(RejectReason.ENGINE_UNAVAILABLE,
                    assertInstanceOf(HeraldException.class, failure.getCause()).reason());
            assertEquals(0, broker.stats().subscriptions());
            assertFalse(engine.listener.hasSubscribers("t"), "the hub forgot the subscription");
            engine.holding = false;
            broker.publish("t", "x");
            assertEquals(List.of(), got);
        }
    }

    @Test
    void messagesForOneAudienceReachOnlyThatAudience() {
        List<SlowInterestEngine> engines = new ArrayList<>();
        try (Broker<String> broker = broker(engines)) {
            SlowInterestEngine engine = engines.get(0);
            engine.holding = false;
            List<String> exact = new ArrayList<>();
            List<String> pattern = new ArrayList<>();
            broker.subscribe("a.b", SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    m -> exact.add(m.data()));
            broker.subscribe("a.*", m -> pattern.add(m.data()));
            engine.listener.onTopicMessages(List.of(new Message<>("e-1", "a.b", 1, AT, "to the topic")));
            engine.listener.onPatternMessages(List.of(new Message<>("e-2", "a.b", 2, AT, "to patterns")));
            assertEquals(List.of("to the topic"), exact);
            assertEquals(List.of("to patterns"), pattern);
        }
    }

    @Test
    void lostContinuityClosesTheTopicsExactSubscriptionsAndNoOtherOnes() {
        List<SlowInterestEngine> engines = new ArrayList<>();
        try (Broker<String> broker = broker(engines)) {
            SlowInterestEngine engine = engines.get(0);
            engine.holding = false;
            List<CloseReason> closes = new ArrayList<>();
            Subscriber<String> recorder = new Subscriber<>() {
                @Override
                public void onMessage(Message<String> message) {
                }

                @Override
                public void onClose(CloseReason reason) {
                    closes.add(reason);
                }
            };
            Subscription queued = broker.subscribe("a.b", recorder);
            Subscription direct = broker.subscribe("a.b", SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    recorder);
            Subscription other = broker.subscribe("a.c", recorder);
            Subscription pattern = broker.subscribe("a.*", recorder);
            engine.listener.onContinuityLost("a.b");
            assertEquals(List.of(CloseReason.CONTINUITY_LOST, CloseReason.CONTINUITY_LOST), closes);
            assertFalse(queued.isOpen() || direct.isOpen());
            assertTrue(other.isOpen() && pattern.isOpen());
            assertEquals(2, broker.stats().subscriptions());
            assertEquals(0, broker.topicStats("a.b").map(TopicStats::subscribers).orElse(0L));
        }
    }
}
