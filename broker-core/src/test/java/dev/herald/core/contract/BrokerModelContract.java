package dev.herald.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.CloseReason;
import dev.herald.core.HeraldException;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.TopicStats;
import dev.herald.core.model.FakeClock;
import dev.herald.core.model.ReferenceBroker;
import dev.herald.core.model.ReferenceBroker.Msg;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * The broker on an engine against {@link ReferenceBroker}: random sequences of subscribes (exact, wildcard, from a
 * position, last N), publishes, unsubscribes, history reads, clock advances and a final close, applied to both;
 * after each step every observation of the real broker must equal the model's. History is bounded by count, weight
 * (the default weigher counts characters) or age. One subclass per engine ({@link EngineUnderTest}) runs it.
 *
 * <p>Guarantees checked: G1 (each subscription's messages equal the model's list, so in order), G2 (nothing
 * vanishes: nothing delivered is missing, nothing is counted as dropped), G3 (history reads and retention), G4
 * (replay then live with no gap and no duplicate, and {@code recovered()}), G5 (no callback after close; topics
 * nobody needs are removed, by engines that drop idle topics). Delivery is synchronous ({@code Runnable::run}) and
 * time is a fake clock, so with the in-memory engine every run is deterministic except the history sweeper, which
 * the model allows for. An engine that hands messages back through a store delivers them a little later: before
 * each comparison the suite waits until every subscription has as many messages as the model says it must.
 */
public abstract class BrokerModelContract {

    /**
     * The engine the suite runs over.
     *
     * @return the engine
     */
    protected abstract EngineUnderTest engine();

    private static final List<String> TOPICS = List.of("a", "b", "a.a", "a.b", "b.a", "a.b.a");
    /** Patterns as segments; each subscription joins them anew, as a filter parsed from a request would be. */
    private static final List<List<String>> PATTERNS = List.of(
            List.of(">"), List.of("*"), List.of("a", ">"), List.of("a", "*"), List.of("*", "a"),
            List.of("*", ">"), List.of("*", "*"), List.of("a", "*", "a"), List.of("*", "b", ">"), List.of("b", ">"));
    private static final long MAX_AGE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** History policies the chains run under, with the bounds the model is given. */
    enum Retention {
        NONE(0, Long.MAX_VALUE, Long.MAX_VALUE),
        LAST_1(1, Long.MAX_VALUE, Long.MAX_VALUE),
        LAST_3(3, Long.MAX_VALUE, Long.MAX_VALUE),
        LAST_8(8, Long.MAX_VALUE, Long.MAX_VALUE),
        MAX_10_BYTES(Integer.MAX_VALUE, Long.MAX_VALUE, 10),
        LAST_5_AND_MAX_8_BYTES(5, Long.MAX_VALUE, 8),
        MAX_AGE(Integer.MAX_VALUE, MAX_AGE_NANOS, Long.MAX_VALUE),
        LAST_4_AND_MAX_AGE(4, MAX_AGE_NANOS, Long.MAX_VALUE);

        final int maxCount;
        final long maxAgeNanos;
        final long maxBytes;

        Retention(int maxCount, long maxAgeNanos, long maxBytes) {
            this.maxCount = maxCount;
            this.maxAgeNanos = maxAgeNanos;
            this.maxBytes = maxBytes;
        }

        HistoryPolicy policy() {
            Duration age = Duration.ofNanos(maxAgeNanos);
            return switch (this) {
                case NONE -> HistoryPolicy.none();
                case LAST_1, LAST_3, LAST_8 -> HistoryPolicy.lastN(maxCount);
                case MAX_10_BYTES -> HistoryPolicy.maxBytes(maxBytes);
                case LAST_5_AND_MAX_8_BYTES -> HistoryPolicy.lastN(maxCount).and(HistoryPolicy.maxBytes(maxBytes));
                case MAX_AGE -> HistoryPolicy.maxAge(age);
                case LAST_4_AND_MAX_AGE -> HistoryPolicy.lastN(maxCount).and(HistoryPolicy.maxAge(age));
            };
        }
    }

    /** Delivery policies a subscription may choose; with synchronous delivery none of them may drop anything. */
    enum Delivery {
        DEFAULT, DIRECT, DROP_OLDEST, DROP_NEWEST, CLOSE_ON_OVERFLOW, BLOCK;

        SubscribeOptions apply(SubscribeOptions options) {
            return switch (this) {
                case DEFAULT -> options;
                case DIRECT -> options.delivery(DeliveryPolicy.direct());
                case DROP_OLDEST -> options.delivery(DeliveryPolicy.dropOldest(1024));
                case DROP_NEWEST -> options.delivery(DeliveryPolicy.dropNewest(1024));
                case CLOSE_ON_OVERFLOW -> options.delivery(DeliveryPolicy.closeOnOverflow(1024));
                case BLOCK -> options.delivery(DeliveryPolicy.block(1024, Duration.ofSeconds(1)));
            };
        }
    }

    /** Which epoch a resume position names. */
    enum EpochChoice { CURRENT, PREVIOUS, OTHER_TOPIC, UNKNOWN, EMPTY }

    enum QueryKind { ALL, LATEST, AFTER, LATEST_AFTER }

    private final List<World> worlds = new ArrayList<>();

    @AfterTry
    void closeBrokers() {
        for (World world : worlds) {
            world.broker.close();
        }
        worlds.clear();
    }

    @Property(afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void brokerObservationsEqualTheModel(@ForAll("chains") ActionChain<World> chain) {
        chain.withInvariant("per subscription and topic, offsets go up by exactly one", World::checkNoGapNoDuplicate)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return Arbitraries.of(Retention.values()).flatMap(retention -> ActionChain.<World>startWith(() -> {
                    World world = new World(retention, engine());
                    worlds.add(world);
                    return world;
                })
                .withAction(12, new Publish())
                .withAction(4, new PublishAll())
                .withAction(4, new SubscribeExact())
                .withAction(4, new SubscribeWildcard())
                .withAction(4, new SubscribeFrom())
                .withAction(2, new SubscribeLast())
                .withAction(4, new Unsubscribe())
                .withAction(4, new ReadHistory())
                .withAction(3, new AdvanceClock())
                .withAction(1, new WildcardReplayRefused())
                .withAction(1, new CloseBroker())
                .withAction(1, new UseAfterClose())
                .withMaxTransformations(40));
    }

    // ------------------------------------------------------------------ actions

    private static Arbitrary<String> topics() {
        return Arbitraries.of(TOPICS);
    }

    /** A delivery policy, and whether the subscriber throws from every onMessage (after recording it). */
    record How(Delivery delivery, boolean failing) {
        @Override
        public String toString() {
            return delivery + (failing ? ", subscriber throws" : "");
        }
    }

    private static Arbitrary<How> deliveries() {
        return Combinators.combine(Arbitraries.of(Delivery.values()),
                Arbitraries.frequency(Tuple.of(6, false), Tuple.of(1, true))).as(How::new);
    }

    /** Runs only while the broker is open. */
    private abstract static class WhileOpen implements Action.Independent<World> {
        @Override
        public boolean precondition(World world) {
            return world.model.isBrokerOpen();
        }
    }

    private static final class Publish extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return topics().map(t -> Transformer.mutate("publish to " + t, w -> w.publish(t)));
        }
    }

    private static final class PublishAll extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            // Now and then a batch long enough for the engine to hand over in several chunks.
            Arbitrary<Integer> sizes = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.integers().between(0, 4)),
                    Tuple.of(1, Arbitraries.integers().between(65, 200)));
            return Combinators.combine(topics(), sizes).as((t, n) ->
                    Transformer.mutate("publish " + n + " at once to " + t, w -> w.publishAll(t, n)));
        }
    }

    private static final class SubscribeExact extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(topics(), deliveries()).as((t, d) ->
                    Transformer.mutate("subscribe to " + t + " (" + d + ")", w -> w.subscribeLive(t, d)));
        }
    }

    private static final class SubscribeWildcard extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.of(PATTERNS), deliveries()).as((p, d) ->
                    Transformer.mutate("subscribe to pattern " + String.join(".", p) + " (" + d + ")",
                            w -> w.subscribeLive(String.join(".", p), d)));
        }
    }

    private static final class SubscribeFrom extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(topics(), Arbitraries.frequency(Tuple.of(6, EpochChoice.CURRENT),
                            Tuple.of(2, EpochChoice.PREVIOUS), Tuple.of(1, EpochChoice.OTHER_TOPIC),
                            Tuple.of(1, EpochChoice.UNKNOWN), Tuple.of(1, EpochChoice.EMPTY)),
                    Arbitraries.integers().between(-12, 2), deliveries()).as((t, epoch, delta, d) ->
                    Transformer.mutate("subscribe to " + t + " from (latest" + (delta < 0 ? "" : "+") + delta
                            + ", " + epoch + " epoch) (" + d + ")", w -> w.subscribeFrom(t, epoch, delta, d)));
        }
    }

    private static final class SubscribeLast extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(topics(), Arbitraries.integers().between(1, 10), deliveries()).as((t, n, d) ->
                    Transformer.mutate("subscribe to " + t + " replaying the last " + n + " (" + d + ")",
                            w -> w.subscribeLast(t, n, d)));
        }
    }

    private static final class Unsubscribe extends WhileOpen {
        @Override
        public boolean precondition(World world) {
            return super.precondition(world) && !world.handles.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(0, 63).map(k ->
                    Transformer.mutate("close subscription number " + k + " (modulo the count)",
                            w -> w.unsubscribe(k)));
        }
    }

    private static final class ReadHistory extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(topics(), Arbitraries.of(QueryKind.values()),
                    Arbitraries.integers().between(-10, 1), Arbitraries.integers().between(0, 6)).as(
                    (t, kind, delta, limit) -> Transformer.mutate(switch (kind) {
                        case ALL -> "read all history of " + t;
                        case LATEST -> "read the latest " + limit + " of " + t;
                        case LATEST_AFTER -> "read the latest " + limit + " of " + t + " after latest"
                                + (delta < 0 ? "" : "+") + delta;
                        case AFTER -> "read " + limit + " of " + t + " after latest" + (delta < 0 ? "" : "+") + delta;
                    }, w -> w.readHistory(t, kind, delta, limit)));
        }
    }

    private static final class AdvanceClock extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(1, 6).map(ms ->
                    Transformer.mutate("advance the clock by " + ms + " ms", w -> w.advance(ms)));
        }
    }

    private static final class WildcardReplayRefused extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.of(PATTERNS), Arbitraries.of(true, false)).as((p, last) ->
                    Transformer.mutate("resume on pattern " + String.join(".", p) + " is refused",
                            w -> w.wildcardReplayRefused(String.join(".", p), last)));
        }
    }

    private static final class CloseBroker extends WhileOpen {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("close the broker", World::closeBroker));
        }
    }

    private static final class UseAfterClose implements Action.Independent<World> {
        @Override
        public boolean precondition(World world) {
            return !world.model.isBrokerOpen();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return topics().map(t -> Transformer.mutate("publish and subscribe to " + t + " after close are refused",
                    w -> w.useAfterClose(t)));
        }
    }

    // ------------------------------------------------------------------ the state: real broker and model

    /**
     * A subscriber that records everything and notices callbacks that come after close. The engine may call it on
     * its own threads while the test reads it, so it is synchronized.
     */
    static final class Recorder implements Subscriber<String> {
        private final List<Message<String>> messages = new ArrayList<>();
        private final List<CloseReason> closes = new ArrayList<>();
        private final List<String> lateCallbacks = new ArrayList<>();
        final boolean failing;
        private volatile boolean closedByApp;

        Recorder(boolean failing) {
            this.failing = failing;
        }

        @Override
        public synchronized void onMessage(Message<String> message) {
            if (closedByApp || !closes.isEmpty()) {
                lateCallbacks.add("onMessage " + message.topic() + "#" + message.offset());
            }
            messages.add(message);
            if (failing) {
                throw new SubscriberFailure();
            }
        }

        @Override
        public synchronized void onClose(CloseReason reason) {
            if (closedByApp || !closes.isEmpty()) {
                lateCallbacks.add("onClose " + reason);
            }
            closes.add(reason);
        }

        synchronized List<Message<String>> messages() {
            return List.copyOf(messages);
        }

        synchronized int received() {
            return messages.size();
        }

        synchronized List<CloseReason> closes() {
            return List.copyOf(closes);
        }

        synchronized List<String> lateCallbacks() {
            return List.copyOf(lateCallbacks);
        }

        void closedByApp() {
            closedByApp = true;
        }
    }

    /** Thrown by a failing subscriber; without a stack trace, so the broker's warning stays one line. */
    static final class SubscriberFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SubscriberFailure() {
            super("this subscriber fails on purpose", null, false, false);
        }
    }

    /** An open or closed subscription of the run; {@code blocks} if its delivery policy is {@code block}. */
    record Handle(int id, String filter, Subscription subscription, Recorder recorder, boolean blocks) {
    }

    static final class World {
        final Retention retention;
        final EngineUnderTest engine;
        final FakeClock clock = new FakeClock();
        final Broker<String> broker;
        final ReferenceBroker model;
        final Map<Integer, Handle> handles = new LinkedHashMap<>();
        /** Epoch string of each lifetime of each topic, as the broker reported it. */
        final Map<String, Map<Integer, String>> epochs = new HashMap<>();
        final Set<String> allEpochs = new HashSet<>();
        long rejected;
        int sequence;

        World(Retention retention, EngineUnderTest engine) {
            this.retention = retention;
            this.engine = engine;
            this.broker = Broker.<String>builder()
                    .executor(Runnable::run)
                    .clock(clock)
                    .history(retention.policy())
                    .engine(engine.freshEngine())
                    .build();
            this.model = new ReferenceBroker(retention.maxCount, retention.maxAgeNanos, retention.maxBytes,
                    engine.keepsIdleTopics());
        }

        @Override
        public String toString() {
            return "World[" + retention + ", " + handles.size() + " subscriptions]";
        }

        // -------------------------------------------------------------- steps

        void publish(String topic) {
            String data = "m" + ++sequence;
            PublishResult result = broker.publish(topic, data).toCompletableFuture().join();
            accepted(topic, data, assertInstanceOf(PublishResult.Accepted.class, result));
            verify();
        }

        /** A batch is, to every observer, the same messages published one after another with no time between. */
        void publishAll(String topic, int count) {
            List<String> data = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                data.add("m" + ++sequence);
            }
            List<PublishResult> results = broker.publishAll(topic, data).toCompletableFuture().join();
            assertEquals(count, results.size(), "one result per message");
            // As documented, a block subscription anywhere makes the broker publish a batch one message at a time.
            boolean oneByOne = handles.values().stream()
                    .anyMatch(h -> h.blocks() && h.subscription().isOpen());
            Statistics.label("publish all").collect(count == 0 ? "empty" : oneByOne ? "one by one" : "at once");
            if (count == 0) {
                verify();
                return;
            }
            if (oneByOne) {
                for (int i = 0; i < count; i++) {
                    accepted(topic, data.get(i), assertInstanceOf(PublishResult.Accepted.class, results.get(i)));
                }
            } else {
                PublishResult.Accepted first = assertInstanceOf(PublishResult.Accepted.class, results.get(0));
                boolean swept = sweptBefore(topic, first.epoch());
                List<ReferenceBroker.PublishResult> expected = model.publishAll(topic, data, swept);
                for (int i = 0; i < count; i++) {
                    check(topic, data.get(i), expected.get(i),
                            assertInstanceOf(PublishResult.Accepted.class, results.get(i)));
                }
            }
            verify();
        }

        /** Applies an accepted publish to the model, and checks what the broker said about it. */
        private void accepted(String topic, String data, PublishResult.Accepted accepted) {
            boolean swept = sweptBefore(topic, accepted.epoch());
            ReferenceBroker.PublishResult expected = model.publish(topic, data, swept);
            Statistics.label("publish").collect(swept ? "topic swept by age before"
                    : expected.newLifetime() ? "new topic lifetime" : "existing topic");
            check(topic, data, expected, accepted);
        }

        private void check(String topic, String data, ReferenceBroker.PublishResult expected,
                           PublishResult.Accepted accepted) {
            bindEpoch(topic, expected.message().lifetime(), accepted.epoch());
            assertEquals(topic, accepted.topic());
            assertEquals(expected.message().offset(), accepted.offset(), "offset of " + data + " on " + topic);
            assertEquals(FakeClock.instantAt(expected.message().acceptedNanos()), accepted.timestamp());
        }

        void subscribeLive(String filter, How how) {
            Recorder recorder = new Recorder(how.failing());
            Subscription subscription = broker.subscribe(filter, how.delivery().apply(SubscribeOptions.live()), recorder);
            StreamPosition position = subscription.position();
            boolean pattern = ReferenceBroker.isPattern(filter);
            ReferenceBroker.SubscribeResult expected =
                    model.subscribe(filter, !pattern && sweptBefore(filter, position.epoch()));
            assertTrue(subscription.recovered(), "a live subscription has nothing to recover");
            assertEquals(filter, subscription.filter());
            assertTrue(subscription.isOpen());
            checkPosition(filter, expected.positionOffset(), expected.lifetime(), position);
            handles.put(expected.id(), new Handle(expected.id(), filter, subscription, recorder,
                    how.delivery() == Delivery.BLOCK));
            verify();
        }

        void subscribeFrom(String topic, EpochChoice choice, int delta, How how) {
            int lifetime = model.lifetime(topic);
            long offset = Math.max(0, model.lastOffset(topic) + delta);
            int fromLifetime;
            String epoch;
            switch (choice) {
                case CURRENT -> {
                    fromLifetime = lifetime;
                    epoch = lifetime == 0 ? "" : epochOf(topic, lifetime);
                }
                case PREVIOUS -> {
                    // The newest earlier lifetime of this topic, if it had one.
                    fromLifetime = epochs.getOrDefault(topic, Map.of()).keySet().stream()
                            .filter(l -> l != lifetime).max(Integer::compare).orElse(0);
                    epoch = fromLifetime == 0 ? "previous" : epochOf(topic, fromLifetime);
                }
                case OTHER_TOPIC -> {
                    fromLifetime = 0;
                    epoch = epochs.entrySet().stream().filter(e -> !e.getKey().equals(topic))
                            .flatMap(e -> e.getValue().values().stream()).findFirst().orElse("other");
                }
                case UNKNOWN -> {
                    fromLifetime = 0;
                    epoch = "no-such-epoch";
                }
                default -> {
                    fromLifetime = 0;
                    epoch = "";
                }
            }
            if (fromLifetime == 0 && lifetime == 0 && choice == EpochChoice.CURRENT) {
                // The topic does not exist: its position reads as (0, ""), and that is what a client resumes from.
                offset = 0;
            }
            StreamPosition from = new StreamPosition(offset, epoch);
            Recorder recorder = new Recorder(how.failing());
            Subscription subscription;
            try {
                subscription = broker.subscribe(topic, how.delivery().apply(SubscribeOptions.from(from)), recorder);
            } catch (HeraldException e) {
                assertEquals(RejectReason.INVALID_POSITION, e.reason(), e.getMessage());
                ReferenceBroker.SubscribeResult expected = model.subscribeFrom(topic, offset, fromLifetime, false);
                assertTrue(expected.invalidPosition(), "resume from " + from + " was refused: " + e.getMessage());
                assertTrue(recorder.messages().isEmpty() && recorder.closes().isEmpty(),
                        "a refused subscription got callbacks");
                Statistics.label("resume").collect("refused: beyond the end");
                verify();
                return;
            }
            StreamPosition position = subscription.position();
            ReferenceBroker.SubscribeResult expected =
                    model.subscribeFrom(topic, offset, fromLifetime, sweptBefore(topic, position.epoch()));
            assertFalse(expected.invalidPosition(), "resume from " + from + " must be refused as beyond the end");
            checkPosition(topic, expected.positionOffset(), expected.lifetime(), position);
            assertEquals(expected.recovered(), subscription.recovered(), "recovered() after resume from " + from);
            Statistics.label("resume").collect((fromLifetime == expected.lifetime() ? "same epoch" : "other epoch")
                    + (expected.recovered() ? ", recovered" : ", not recovered")
                    + (expected.replay().isEmpty() ? ", nothing replayed" : ", replayed"));
            handles.put(expected.id(), new Handle(expected.id(), topic, subscription, recorder,
                    how.delivery() == Delivery.BLOCK));
            verify();
        }

        void subscribeLast(String topic, int n, How how) {
            Recorder recorder = new Recorder(how.failing());
            Subscription subscription = broker.subscribe(topic, how.delivery().apply(SubscribeOptions.last(n)), recorder);
            StreamPosition position = subscription.position();
            ReferenceBroker.SubscribeResult expected =
                    model.subscribeLast(topic, n, sweptBefore(topic, position.epoch()));
            checkPosition(topic, expected.positionOffset(), expected.lifetime(), position);
            assertEquals(expected.recovered(), subscription.recovered(), "recovered() after replaying the last " + n);
            handles.put(expected.id(), new Handle(expected.id(), topic, subscription, recorder,
                    how.delivery() == Delivery.BLOCK));
            verify();
        }

        void unsubscribe(int k) {
            if (handles.isEmpty()) {
                return;
            }
            List<Handle> all = new ArrayList<>(handles.values());
            Handle handle = all.get(k % all.size());
            handle.recorder.closedByApp();
            handle.subscription.close();
            model.unsubscribe(handle.id);
            assertFalse(handle.subscription.isOpen());
            verify();
        }

        void readHistory(String topic, QueryKind kind, int delta, int limit) {
            long after = Math.max(0, model.lastOffset(topic) + delta);
            HistoryQuery query = switch (kind) {
                case ALL -> HistoryQuery.all();
                case LATEST -> HistoryQuery.latest(limit);
                case LATEST_AFTER -> new HistoryQuery(after, limit, true);
                case AFTER -> HistoryQuery.after(after, limit);
            };
            History<String> history = broker.history(topic, query).toCompletableFuture().join();
            boolean swept = sweptBefore(topic, history.position().epoch());
            ReferenceBroker.HistoryResult expected =
                    model.history(topic, query.afterOffset(), query.limit(), query.latest(), swept);
            assertEquals(describe(expected.messages()), describeReal(history.messages()), "history " + query);
            checkPosition(topic, expected.positionOffset(), expected.lifetime(), history.position());
            assertEquals(expected.oldestOffset(), history.oldestOffset(), "oldest retained offset of " + topic);
            verify();
        }

        void advance(int millis) {
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            clock.advance(nanos);
            model.advance(nanos);
            verify();
        }

        void wildcardReplayRefused(String pattern, boolean last) {
            SubscribeOptions options = last ? SubscribeOptions.last(3)
                    : SubscribeOptions.from(new StreamPosition(0, ""));
            HeraldException e = assertThrows(HeraldException.class,
                    () -> broker.subscribe(pattern, options, m -> fail("refused subscription got " + m)));
            assertEquals(RejectReason.INVALID_POSITION, e.reason());
            verify();
        }

        void closeBroker() {
            broker.close();
            model.close();
            assertFalse(broker.isOpen());
            verify();
        }

        void useAfterClose(String topic) {
            PublishResult result = broker.publish(topic, "late").toCompletableFuture().join();
            PublishResult.Rejected refused = assertInstanceOf(PublishResult.Rejected.class, result);
            assertEquals(RejectReason.BROKER_CLOSED, refused.reason());
            rejected++;
            List<PublishResult> batch = broker.publishAll(topic, List.of("late", "later")).toCompletableFuture().join();
            assertEquals(2, batch.size());
            for (PublishResult each : batch) {
                assertEquals(RejectReason.BROKER_CLOSED, assertInstanceOf(PublishResult.Rejected.class, each).reason());
                rejected++;
            }
            HeraldException e = assertThrows(HeraldException.class,
                    () -> broker.subscribe(topic, m -> fail("subscription after close got " + m)));
            assertEquals(RejectReason.BROKER_CLOSED, e.reason());
            verify();
        }

        // -------------------------------------------------------------- observations

        /** Every observation of the broker equals the model's, once deliveries in flight have arrived. */
        void verify() {
            awaitDeliveries();
            long subscriberErrors = 0;
            for (Handle handle : handles.values()) {
                int id = handle.id;
                String who = "subscription " + id + " to " + handle.filter;
                List<Message<String>> received = handle.recorder.messages();
                assertEquals(describe(model.received(id)), describeReal(comparable(handle, received)),
                        who + " received");
                assertEquals(List.of(), handle.recorder.lateCallbacks(), who + ": callbacks after close");
                assertEquals(model.isOpen(id), handle.subscription.isOpen(), who + " isOpen");
                List<CloseReason> closes = "broker".equals(model.closedBy(id))
                        ? List.of(CloseReason.BROKER_CLOSED) : List.of();
                assertEquals(closes, handle.recorder.closes(), who + " onClose calls");
                SubscriptionStats stats = handle.subscription.stats();
                assertEquals(received.size(), stats.delivered(), who + " delivered count");
                assertEquals(0, stats.dropped(), who + " dropped count");
                assertEquals(0, stats.pending(), who + " pending count");
                long errors = handle.recorder.failing ? received.size() : 0;
                assertEquals(errors, stats.errors(), who + " errors");
                subscriberErrors += errors;
            }
            BrokerStats stats = broker.stats();
            assertEquals(model.published(), stats.published(), "published count");
            assertEquals(rejected, stats.rejected(), "rejected count");
            assertEquals(0, stats.dropped(), "dropped count");
            assertEquals(subscriberErrors, stats.subscriberErrors(), "subscriber errors, counted and survived");
            assertEquals(model.openSubscriptions(), stats.subscriptions(), "open subscriptions");
            if (!model.isBrokerOpen()) {
                return;
            }
            if (engine.countsFollowedTopics()) {
                assertEquals(model.followedTopics(), stats.topics(), "topics this node follows");
            } else if (!model.agesOut()) {
                assertEquals(model.topicCount(), stats.topics(),
                        "topic count: the model has " + model.topicNames());
            }
            for (String topic : TOPICS) {
                checkTopicStats(topic);
            }
        }

        /** What of a subscription's messages the model speaks of (see {@link EngineUnderTest}). */
        private List<Message<String>> comparable(Handle handle, List<Message<String>> received) {
            if (!engine.patternsMaySeeEarlierMessages() || !model.isPatternSubscription(handle.id)) {
                return received;
            }
            List<Message<String>> later = new ArrayList<>(received.size());
            for (Message<String> m : received) {
                if (!model.publishedBefore(handle.id, m.topic(), m.offset())) {
                    later.add(m);
                }
            }
            return later;
        }

        /**
         * Waits until every subscription has received, and counted, as many messages as the model says (and, for an
         * engine that counts the topics it follows, until it follows as many as the model): for engines whose
         * deliveries arrive after the publish completed. Returns at once for the others; after the timeout the comparison reports.
         */
        private void awaitDeliveries() {
            if (engine.deliversBeforePublishCompletes()) {
                return;
            }
            long deadline = System.nanoTime() + engine.deliveryTimeout().toNanos();
            while (System.nanoTime() - deadline < 0) {
                boolean settled = !engine.countsFollowedTopics() || !model.isBrokerOpen()
                        || broker.stats().topics() == model.followedTopics();
                for (Handle handle : handles.values()) {
                    // The subscription's counters move once the subscriber returned, a moment after it recorded.
                    List<Message<String>> received = handle.recorder.messages();
                    int expected = model.received(handle.id).size();
                    SubscriptionStats stats = handle.subscription.stats();
                    settled &= comparable(handle, received).size() == expected
                            && stats.delivered() == received.size()
                            && stats.errors() == (handle.recorder.failing ? received.size() : 0)
                            && stats.pending() == 0;
                }
                if (settled) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MICROSECONDS
                        .toNanos(200));
            }
        }

        private void checkTopicStats(String topic) {
            if (model.mayBeGone(topic)) {
                return;
            }
            Optional<TopicStats> stats = broker.topicStats(topic);
            if (!model.exists(topic)) {
                assertTrue(stats.isEmpty(), "topic " + topic + " should be gone but is " + stats);
                return;
            }
            assertTrue(stats.isPresent(), "topic " + topic + " should exist");
            TopicStats s = stats.get();
            assertEquals(model.lastOffset(topic), s.position().offset(), "latest offset of " + topic);
            assertEquals(epochOf(topic, model.lifetime(topic)), s.position().epoch(), "epoch of " + topic);
            assertEquals(model.exactSubscribers(topic), s.subscribers(), "exact subscribers of " + topic);
            if (!model.agesOut()) {
                List<Msg> retained = model.retained(topic);
                assertEquals(retained.size(), s.retained(), "retained count of " + topic);
                assertEquals(retained.stream().mapToLong(m -> m.data().length()).sum(), s.retainedBytes(),
                        "retained bytes of " + topic);
            }
        }

        /** The invariant: for each subscription and topic, each offset is the previous one plus one. */
        void checkNoGapNoDuplicate() {
            for (Handle handle : handles.values()) {
                Map<String, Long> last = new HashMap<>();
                for (Message<String> m : handle.recorder.messages()) {
                    Long previous = last.put(m.topic(), m.offset());
                    if (previous != null && m.offset() != previous + 1) {
                        fail("subscription " + handle.id + " to " + handle.filter + " got " + m.topic() + "#"
                                + m.offset() + " right after #" + previous);
                    }
                }
            }
        }

        // -------------------------------------------------------------- epochs

        /**
         * Whether the broker had already removed a topic that the model says may be gone: it reported an epoch
         * other than that of the lifetime the model knows.
         */
        private boolean sweptBefore(String topic, String observedEpoch) {
            return model.mayBeGone(topic) && !observedEpoch.equals(epochOf(topic, model.lifetime(topic)));
        }

        private String epochOf(String topic, int lifetime) {
            String epoch = epochs.getOrDefault(topic, Map.of()).get(lifetime);
            assertNotNull(epoch, "no epoch seen yet for lifetime " + lifetime + " of " + topic);
            return epoch;
        }

        private void bindEpoch(String topic, int lifetime, String epoch) {
            Map<Integer, String> byLifetime = epochs.computeIfAbsent(topic, t -> new HashMap<>());
            String known = byLifetime.get(lifetime);
            if (known == null) {
                assertFalse(epoch.isEmpty(), "an existing topic has an empty epoch");
                assertFalse(allEpochs.contains(epoch), "lifetime " + lifetime + " of " + topic
                        + " reuses epoch " + epoch);
                byLifetime.put(lifetime, epoch);
                allEpochs.add(epoch);
            } else {
                assertEquals(known, epoch, "epoch of lifetime " + lifetime + " of " + topic);
            }
        }

        private void checkPosition(String filter, long offset, int lifetime, StreamPosition actual) {
            if (lifetime == 0) {
                assertEquals(new StreamPosition(offset, ""), actual, "position of " + filter);
                return;
            }
            bindEpoch(filter, lifetime, actual.epoch());
            assertEquals(offset, actual.offset(), "offset of the position of " + filter);
        }

        private static List<String> describe(List<Msg> messages) {
            List<String> out = new ArrayList<>(messages.size());
            for (Msg m : messages) {
                out.add(m.topic() + "#" + m.offset() + "=" + m.data() + "@" + FakeClock.instantAt(m.acceptedNanos()));
            }
            return out;
        }

        private static List<String> describeReal(List<Message<String>> messages) {
            List<String> out = new ArrayList<>(messages.size());
            for (Message<String> m : messages) {
                out.add(m.topic() + "#" + m.offset() + "=" + m.data() + "@" + m.timestamp());
            }
            return out;
        }
    }
}
