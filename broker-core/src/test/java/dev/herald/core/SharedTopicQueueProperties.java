package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.model.FakeClock;
import dev.herald.core.model.ManualExecutor;
import dev.herald.core.model.ReferenceQueue;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Many queued subscriptions on one exact topic, each with a {@code dropOldest} capacity of its own, opening and
 * closing at different points of a run, with a hand-run executor so that who lags behind whom is decided by the
 * test. However the broker shares the messages of one topic between its subscriptions, each subscription must
 * behave exactly as if it had a queue of its own: a subscription that opens mid-run is offered only later
 * messages, one that falls behind by more than its capacity loses exactly its oldest messages and counts them,
 * one that closes discards (and counts) what waited and is never touched again, and none of this is visible to
 * its neighbours. Direct, {@code dropNewest}, {@code closeOnOverflow} and pattern subscriptions on the same
 * topic are checked alongside.
 *
 * <p>After every step, every subscription's delivered offsets and counters equal its own {@link ReferenceQueue}
 * model, and the broker's counters equal the sums of the models.
 */
class SharedTopicQueueProperties {
    private static final String TOPIC = "orders.eu";
    /** A subscription that chooses no policy gets the broker's default, {@code dropOldest(1024)}. */
    private static final int DEFAULT_CAPACITY = 1024;

    private enum Kind { DROP_OLDEST, DEFAULT, DROP_NEWEST, CLOSE, DIRECT, PATTERN_DROP_OLDEST }

    /** Records callbacks in order; the payload of offset {@code n} must be {@code "m" + n}. */
    private static class Recorder implements Subscriber<String> {
        final List<Long> offsets = new ArrayList<>();
        final List<String> closes = new ArrayList<>();
        final List<String> violations = new ArrayList<>();
        int unflushed;

        @Override
        public void onMessage(Message<String> message) {
            if (!closes.isEmpty()) {
                violations.add("onMessage #" + message.offset() + " after onClose");
            }
            if (!message.topic().equals(TOPIC) || !message.data().equals("m" + message.offset())) {
                violations.add("message " + message.topic() + ":" + message.offset() + " carried " + message.data());
            }
            offsets.add(message.offset());
            unflushed++;
        }

        @Override
        public void onBatchEnd() {
            unflushed = 0;
        }

        @Override
        public void onClose(CloseReason reason) {
            if (!closes.isEmpty()) {
                violations.add("onClose " + reason + " after onClose");
            }
            closes.add(reason.name());
        }
    }

    /** One subscription under test and its model ({@code null} for direct, whose model is "everything"). */
    private static final class Tracked {
        final String name;
        final Kind kind;
        final Recorder recorder = new Recorder();
        final ReferenceQueue model;
        final List<Long> directExpected = new ArrayList<>();
        Subscription subscription;
        boolean closedByApplication;
        boolean brokerClosed;
        /** Whether a CLOSE step may pick it. */
        boolean closable = true;

        Tracked(String name, Kind kind, int capacity) {
            this.name = name;
            this.kind = kind;
            this.model = switch (kind) {
                case DIRECT -> null;
                case DROP_NEWEST -> new ReferenceQueue(capacity, ReferenceQueue.Overflow.DROP_NEWEST);
                case CLOSE -> new ReferenceQueue(capacity, ReferenceQueue.Overflow.CLOSE);
                default -> new ReferenceQueue(capacity, ReferenceQueue.Overflow.DROP_OLDEST);
            };
        }

        boolean open() {
            return model == null ? !closedByApplication && !brokerClosed : !model.isClosed();
        }

        long delivered() {
            return model == null ? directExpected.size() : model.delivered().size();
        }

        long dropped() {
            return model == null ? 0 : model.droppedOldest() + model.droppedNewest() + model.droppedOnClose();
        }

        long pending() {
            return model == null ? 0 : model.pending();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A broker with a hand-run executor and every subscription of the run, open or closed. */
    private static final class Rig implements AutoCloseable {
        final ManualExecutor executor = new ManualExecutor();
        final Broker<String> broker;
        final List<Tracked> subs = new ArrayList<>();
        final int historyBound;
        long published;

        Rig(int historyBound) {
            this.historyBound = historyBound;
            broker = Broker.<String>builder().executor(executor).clock(new FakeClock())
                    .history(historyBound == 0 ? HistoryPolicy.none() : HistoryPolicy.lastN(historyBound))
                    .closeGracePeriod(Duration.ZERO).build();
        }

        /** Opens a live subscription; it is offered only messages published from now on. */
        Tracked subscribe(Kind kind, int capacity) {
            Tracked t = new Tracked(kind + "(" + capacity + ")#" + subs.size() + "@" + published, kind, capacity);
            SubscribeOptions options = switch (kind) {
                case DEFAULT -> SubscribeOptions.live();
                case DIRECT -> SubscribeOptions.live().delivery(DeliveryPolicy.direct());
                case DROP_NEWEST -> SubscribeOptions.live().delivery(DeliveryPolicy.dropNewest(capacity));
                case CLOSE -> SubscribeOptions.live().delivery(DeliveryPolicy.closeOnOverflow(capacity));
                default -> SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(capacity));
            };
            t.subscription = broker.subscribe(kind == Kind.PATTERN_DROP_OLDEST ? "orders.>" : TOPIC, options,
                    t.recorder);
            if (kind != Kind.PATTERN_DROP_OLDEST) {
                assertEquals(published, t.subscription.position().offset(), t + ": position of a live subscription");
            }
            assertTrue(t.subscription.recovered(), t + ": a live subscription has nothing to recover");
            subs.add(t);
            return t;
        }

        /**
         * Opens a {@code dropOldest} subscription that replays history first: the newest {@code last} retained
         * messages, or (if {@code last} is 0) those after the offset {@code back} messages before the newest.
         */
        Tracked subscribeReplaying(int capacity, int last, int back) {
            long oldestRetained = Math.max(1, published - historyBound + 1);
            List<Long> replayed;
            SubscribeOptions options;
            boolean complete;
            String how;
            if (last > 0) {
                options = SubscribeOptions.last(last);
                replayed = LongStream.rangeClosed(Math.max(oldestRetained, published - last + 1), published)
                        .boxed().toList();
                complete = replayed.size() == Math.min(last, published);
                how = "last(" + last + ")";
            } else {
                long after = Math.max(0, published - back);
                String epoch = broker.topicStats(TOPIC).orElseThrow().position().epoch();
                options = SubscribeOptions.from(new StreamPosition(after, epoch));
                replayed = LongStream.rangeClosed(Math.max(oldestRetained, after + 1), published).boxed().toList();
                complete = after + 1 >= oldestRetained || after == published;
                how = "from(" + after + ")";
            }
            Tracked t = new Tracked("dropOldest(" + capacity + ")#" + subs.size() + "@" + published + " " + how,
                    Kind.DROP_OLDEST, capacity);
            t.model.replay(replayed);
            t.subscription = broker.subscribe(TOPIC, options.delivery(DeliveryPolicy.dropOldest(capacity)),
                    t.recorder);
            assertEquals(published, t.subscription.position().offset(), t + ": position after the replay was read");
            assertEquals(complete, t.subscription.recovered(), t + ": recovered()");
            subs.add(t);
            return t;
        }

        /** Publishes one message; every subscription open now is offered it. */
        void publish() {
            long expected = published + 1;
            PublishResult result = broker.publish(TOPIC, "m" + expected).toCompletableFuture().join();
            assertEquals(expected, assertInstanceOf(PublishResult.Accepted.class, result).offset(),
                    "offset of publish #" + expected);
            offered(expected);
        }

        /** Publishes {@code n} messages in one batch; to every model, the same as {@code n} publishes. */
        void publishAll(int n) {
            List<String> data = new ArrayList<>();
            for (long offset = published + 1; offset <= published + n; offset++) {
                data.add("m" + offset);
            }
            List<PublishResult> results = broker.publishAll(TOPIC, data).toCompletableFuture().join();
            assertEquals(n, results.size());
            for (PublishResult result : results) {
                long expected = published + 1;
                assertEquals(expected, assertInstanceOf(PublishResult.Accepted.class, result).offset(),
                        "offset of publish #" + expected);
                offered(expected);
            }
        }

        /** Every subscription open now is offered the message just published at {@code expected}. */
        private void offered(long expected) {
            published = expected;
            for (Tracked t : subs) {
                if (t.model == null) {
                    if (!t.closedByApplication) {
                        t.directExpected.add(expected);
                    }
                } else {
                    t.model.offer(expected);
                }
            }
        }

        /** Lets every queued subscriber run until nothing waits. */
        void catchUp() {
            executor.runAll();
            for (Tracked t : subs) {
                if (t.model != null && !t.closedByApplication) {
                    t.model.drain();
                }
            }
        }

        /** The application closes a subscription: what waited is discarded and counted; no onClose. */
        void closeByApplication(Tracked t) {
            t.subscription.close();
            t.closedByApplication = true;
            if (t.model != null) {
                t.model.closeByBroker();
            }
        }

        /** Open subscriptions of the queued {@code dropOldest} kinds on the exact topic. */
        List<Tracked> openSharedTopicSubscriptions() {
            return subs.stream().filter(t -> t.open() && t.closable
                    && (t.kind == Kind.DROP_OLDEST || t.kind == Kind.DEFAULT)).toList();
        }

        /** Counters only: cheap enough for every publish of a long run. */
        void checkCounters(String when) {
            for (Tracked t : subs) {
                SubscriptionStats stats = t.subscription.stats();
                String what = when + ", " + t;
                if (t.model == null) {
                    assertEquals(new SubscriptionStats(t.directExpected.size(), 0, 0, 0, 0, 0), stats, what);
                    continue;
                }
                assertEquals(t.model.droppedOldest(), stats.droppedOldest(), what + ": droppedOldest");
                assertEquals(t.model.droppedNewest(), stats.droppedNewest(), what + ": droppedNewest");
                assertEquals(t.model.droppedOnClose(), stats.droppedOnClose(), what + ": droppedOnClose");
                assertEquals(t.model.pending(), stats.pending(), what + ": pending");
                assertEquals(t.recorder.offsets.size(), stats.delivered(), what + ": delivered count");
                assertEquals(0, stats.errors(), what + ": errors");
                // G2: nothing that reached an open subscription vanished.
                assertEquals(t.model.offered(), stats.delivered() + stats.dropped() + stats.pending(),
                        what + ": delivered + dropped + pending == offered");
            }
        }

        /** Everything observable, of every subscription and of the broker, equals the models. */
        void check(String when) {
            checkCounters(when);
            long delivered = 0;
            long dropped = 0;
            long pending = 0;
            for (Tracked t : subs) {
                String what = when + ", " + t;
                assertEquals(List.of(), t.recorder.violations, what + ": broken callbacks");
                if (t.model == null) {
                    assertEquals(t.directExpected, t.recorder.offsets, what + ": delivered offsets");
                } else {
                    assertEquals(t.model.delivered(), t.recorder.offsets, what + ": delivered offsets");
                }
                assertEquals(t.open(), t.subscription.isOpen(), what + ": open");
                // The application's own close is never reported back through onClose.
                List<String> told = t.closedByApplication ? List.of()
                        : t.model != null ? t.model.closesTold()
                        : t.brokerClosed ? List.of(CloseReason.BROKER_CLOSED.name()) : List.of();
                assertEquals(told, t.recorder.closes, what + ": onClose calls");
                delivered += t.delivered();
                dropped += t.dropped();
                pending += t.pending();
            }
            BrokerStats stats = broker.stats();
            assertEquals(published, stats.published(), when + ": broker published");
            assertEquals(delivered, stats.delivered(), when + ": broker delivered == sum of the models");
            assertEquals(dropped, stats.dropped(), when + ": broker dropped == sum of the models");
            assertEquals(pending, stats.pending(), when + ": broker pending == sum of the models");
        }

        /** After a catch-up nothing is held back: every batch ended, and closed subscriptions left the topic. */
        void checkSettled(String when) {
            assertEquals(0, executor.queued(), when + ": drain tasks left over");
            for (Tracked t : subs) {
                assertEquals(0, t.recorder.unflushed, when + ", " + t + ": messages without a batch end");
            }
            long open = subs.stream().filter(Tracked::open).count();
            long openExact = subs.stream().filter(t -> t.open() && t.kind != Kind.PATTERN_DROP_OLDEST).count();
            assertEquals(open, broker.stats().subscriptions(), when + ": open subscriptions");
            assertEquals(openExact, broker.topicStats(TOPIC).orElseThrow().subscribers(),
                    when + ": exact subscriptions of the topic");
        }

        /** The broker closes: whatever is still open is told so, and what waited is counted. */
        void closeBrokerAndCheck() {
            broker.close();
            for (Tracked t : subs) {
                if (t.model != null && !t.closedByApplication) {
                    t.model.closeByBroker();
                }
                t.brokerClosed = true;
            }
            executor.runAll();
            check("after the broker closed");
        }

        @Override
        public void close() {
            broker.close();
        }
    }

    // ------------------------------------------------------------------ steps of a run

    private enum Op { PUBLISH, PUBLISH_ALL, CATCH_UP, SUBSCRIBE, CLOSE, REPLAY_LAST, REPLAY_FROM }

    /**
     * One step: publish {@code n} messages one by one or in one batch, let everyone catch up, open a subscription
     * with {@code capacity}, close the {@code n}-th open {@code dropOldest} subscription, or open one that replays.
     */
    private record Step(Op op, int n, int capacity) {
        @Override
        public String toString() {
            return switch (op) {
                case PUBLISH -> "publish " + n;
                case PUBLISH_ALL -> "publish " + n + " at once";
                case CATCH_UP -> "catch up";
                case SUBSCRIBE -> "subscribe dropOldest(" + capacity + ")";
                case CLOSE -> "close #" + n;
                case REPLAY_LAST -> "subscribe last(" + n + ") dropOldest(" + capacity + ")";
                case REPLAY_FROM -> "subscribe from(newest - " + n + ") dropOldest(" + capacity + ")";
            };
        }
    }

    /** Small capacities that overflow often, and larger ones that a longer stretch of publishes laps too. */
    private static Arbitrary<Integer> capacities() {
        return Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(1, 8)),
                Tuple.of(2, Arbitraries.just(64)),
                Tuple.of(1, Arbitraries.just(DEFAULT_CAPACITY)),
                Tuple.of(1, Arbitraries.just(5000)));
    }

    private static Arbitrary<Step> publishes(Arbitrary<Integer> counts) {
        return Combinators.combine(Arbitraries.frequency(Tuple.of(2, Op.PUBLISH), Tuple.of(1, Op.PUBLISH_ALL)), counts)
                .as((op, n) -> new Step(op, n, 0));
    }

    private static Arbitrary<Step> structural() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(new Step(Op.CATCH_UP, 0, 0))),
                Tuple.of(3, capacities().map(c -> new Step(Op.SUBSCRIBE, 0, c))),
                Tuple.of(2, Arbitraries.integers().between(0, 7).map(n -> new Step(Op.CLOSE, n, 0))));
    }

    @Provide
    Arbitrary<List<Step>> shortRuns() {
        Arbitrary<Integer> counts = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 12)),
                Tuple.of(1, Arbitraries.integers().between(60, 150)));
        return Arbitraries.frequencyOf(Tuple.of(6, publishes(counts)), Tuple.of(5, structural()))
                .list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<Step>> longRuns() {
        Arbitrary<Integer> counts = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(1, 100)),
                Tuple.of(3, Arbitraries.integers().between(1000, 6000)));
        return Arbitraries.frequencyOf(Tuple.of(4, publishes(counts)), Tuple.of(4, structural()))
                .list().ofMinSize(2).ofMaxSize(10);
    }

    @Provide
    Arbitrary<List<Step>> replayRuns() {
        Arbitrary<Integer> counts = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 12)),
                Tuple.of(1, Arbitraries.integers().between(40, 120)));
        Arbitrary<Step> replays = Combinators.combine(Arbitraries.of(Op.REPLAY_LAST, Op.REPLAY_FROM),
                        Arbitraries.integers().between(0, 40), capacities())
                .as((op, n, capacity) -> new Step(op, op == Op.REPLAY_LAST ? Math.max(1, n) : n, capacity));
        return Arbitraries.frequencyOf(Tuple.of(6, publishes(counts)), Tuple.of(4, structural()),
                        Tuple.of(3, replays))
                .list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<Integer>> firstCapacities() {
        return capacities().list().ofMinSize(1).ofMaxSize(4);
    }

    /** Opens the neighbours and the first {@code dropOldest} subscriptions, in an order the run chooses. */
    private static void openFirst(Rig rig, List<Integer> capacities, int neighbourCapacity, boolean neighboursFirst) {
        if (neighboursFirst) {
            openNeighbours(rig, neighbourCapacity);
        }
        for (int capacity : capacities) {
            rig.subscribe(capacity == DEFAULT_CAPACITY ? Kind.DEFAULT : Kind.DROP_OLDEST, capacity);
        }
        if (!neighboursFirst) {
            openNeighbours(rig, neighbourCapacity);
        }
    }

    private static void openNeighbours(Rig rig, int capacity) {
        rig.subscribe(Kind.DIRECT, 0);
        rig.subscribe(Kind.DROP_NEWEST, capacity);
        rig.subscribe(Kind.CLOSE, capacity * 3);
        rig.subscribe(Kind.PATTERN_DROP_OLDEST, capacity);
    }

    /** Runs the steps, checking everything after each one (and the counters after each publish if asked). */
    private static void run(Rig rig, List<Step> steps, boolean checkEveryPublish) {
        int index = 0;
        for (Step step : steps) {
            index++;
            String when = "step " + index + " (" + step + ")";
            switch (step.op()) {
                case PUBLISH -> {
                    for (int i = 0; i < step.n(); i++) {
                        rig.publish();
                        if (checkEveryPublish) {
                            rig.check(when + ", after publishing #" + rig.published);
                        } else {
                            rig.checkCounters(when + ", after publishing #" + rig.published);
                        }
                    }
                }
                case PUBLISH_ALL -> {
                    rig.publishAll(step.n());
                    if (checkEveryPublish) {
                        rig.check(when);
                    } else {
                        rig.checkCounters(when);
                    }
                }
                case CATCH_UP -> {
                    rig.catchUp();
                    rig.checkSettled(when);
                }
                case SUBSCRIBE -> rig.subscribe(step.capacity() == DEFAULT_CAPACITY ? Kind.DEFAULT : Kind.DROP_OLDEST,
                        step.capacity());
                case CLOSE -> {
                    List<Tracked> open = rig.openSharedTopicSubscriptions();
                    if (!open.isEmpty()) {
                        rig.closeByApplication(open.get(step.n() % open.size()));
                    }
                }
                case REPLAY_LAST -> rig.subscribeReplaying(step.capacity(), step.n(), 0);
                case REPLAY_FROM -> rig.subscribeReplaying(step.capacity(), 0, step.n());
                default -> throw new AssertionError(step);
            }
            rig.check(when);
        }
        rig.catchUp();
        rig.check("after the final catch-up");
        rig.checkSettled("after the final catch-up");
        for (Tracked t : rig.subs) {
            if (t.open() && t.kind != Kind.DIRECT) {
                assertEquals(0, t.subscription.stats().pending(), t + ": pending after the final catch-up");
            }
        }
        rig.closeBrokerAndCheck();
        collectCoverage(rig);
    }

    /** What a run exercised, so that each property can insist its runs do what it claims to test. */
    private static void collectCoverage(Rig rig) {
        boolean lapped = false;
        boolean lappedLarge = false;
        boolean lappedMidRun = false;
        boolean closedWithPending = false;
        boolean replayIncomplete = false;
        for (Tracked t : rig.subs) {
            if (t.model == null || t.kind == Kind.PATTERN_DROP_OLDEST
                    || t.kind != Kind.DROP_OLDEST && t.kind != Kind.DEFAULT) {
                continue;
            }
            SubscriptionStats stats = t.subscription.stats();
            lapped |= stats.droppedOldest() > 0;
            lappedLarge |= stats.droppedOldest() > 0 && t.model.offered() > 1000;
            lappedMidRun |= stats.droppedOldest() > 0 && !t.name.endsWith("@0");
            closedWithPending |= t.closedByApplication && stats.droppedOnClose() > 0;
            replayIncomplete |= !t.subscription.recovered();
        }
        Statistics.label("a shared-topic subscription was lapped").collect(lapped);
        Statistics.label("one was lapped by more than a thousand").collect(lappedLarge);
        Statistics.label("one opened mid-run was lapped").collect(lappedMidRun);
        Statistics.label("one was closed with messages waiting").collect(closedWithPending);
        Statistics.label("a replay could not recover everything").collect(replayIncomplete);
    }

    private static void requireCoverage(String label, double percent) {
        Statistics.label(label).coverage(c -> c.check(true).percentage(p -> p >= percent));
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 800)
    void everySubscriptionOfASharedTopicMatchesItsOwnQueue(@ForAll("firstCapacities") List<Integer> first,
                                                           @ForAll @IntRange(min = 1, max = 6) int neighbourCapacity,
                                                           @ForAll boolean neighboursFirst,
                                                           @ForAll("shortRuns") List<Step> steps) {
        try (Rig rig = new Rig(0)) {
            openFirst(rig, first, neighbourCapacity, neighboursFirst);
            run(rig, steps, true);
        }
        requireCoverage("a shared-topic subscription was lapped", 30);
        requireCoverage("one opened mid-run was lapped", 5);
        requireCoverage("one was closed with messages waiting", 5);
    }

    @Property(tries = 40)
    void longRunsLapSmallQueuesManyTimesWhileLargeOnesKeepEverything(
            @ForAll("firstCapacities") List<Integer> first, @ForAll @IntRange(min = 1, max = 6) int neighbourCapacity,
            @ForAll boolean neighboursFirst, @ForAll("longRuns") List<Step> steps) {
        try (Rig rig = new Rig(0)) {
            openFirst(rig, first, neighbourCapacity, neighboursFirst);
            // A capacity above anything a run publishes, which must never lose a message however far it lags,
            // and small ones beside it that are lapped all the time.
            Tracked keepsAll = rig.subscribe(Kind.DROP_OLDEST, 100_000);
            keepsAll.closable = false;
            rig.subscribe(Kind.DROP_OLDEST, 1);
            rig.subscribe(Kind.DROP_OLDEST, 3);
            run(rig, steps, false);
            assertEquals(0, keepsAll.subscription.stats().droppedOldest(), "the large queue lost messages");
            assertEquals(LongStream.rangeClosed(1, rig.published).boxed().toList(), keepsAll.recorder.offsets,
                    "the large queue got every message");
        }
        requireCoverage("one was lapped by more than a thousand", 40);
    }

    @Property(tries = 500)
    void replayingSubscriptionsGetHistoryFirstThenLiveWhileOthersLag(
            @ForAll("firstCapacities") List<Integer> first, @ForAll @IntRange(min = 1, max = 6) int neighbourCapacity,
            @ForAll @IntRange(min = 1, max = 30) int historyBound, @ForAll boolean neighboursFirst,
            @ForAll("replayRuns") List<Step> steps) {
        try (Rig rig = new Rig(historyBound)) {
            openFirst(rig, first, neighbourCapacity, neighboursFirst);
            run(rig, steps, true);
        }
        requireCoverage("a replay could not recover everything", 5);
        requireCoverage("a shared-topic subscription was lapped", 30);
    }

    // ------------------------------------------------------------------ publishing while a drain is under way

    /**
     * A queued subscriber publishes to its own topic from its callback, so messages arrive while its own drain
     * and those of its neighbours are half done, at points that depend on how the broker batches and schedules
     * delivery. No exact model applies then, but what holds for any correct queue must: each subscription sees
     * offsets strictly increasing with the payload published there; once everyone has caught up, every message
     * is delivered or counted as dropped as oldest, the holes are exactly the drops, none of the newest
     * {@code capacity} messages is missing, and a capacity above the whole run loses nothing.
     */
    @Property(tries = 300)
    void publishingFromACallbackMidDrainLosesNothingUncounted(
            @ForAll("firstCapacities") List<Integer> capacities, @ForAll @IntRange(min = 1, max = 64) int publisherCapacity,
            @ForAll @IntRange(min = 2, max = 20) int every, @ForAll @IntRange(min = 1, max = 40) int burst,
            @ForAll @IntRange(min = 1, max = 40) int first, @ForAll @IntRange(min = 100, max = 1500) int limit) {
        ManualExecutor executor = new ManualExecutor();
        try (Broker<String> broker = Broker.<String>builder().executor(executor).clock(new FakeClock())
                .closeGracePeriod(Duration.ZERO).build()) {
            long[] published = {0};
            Runnable publishOne = () -> {
                long expected = published[0] + 1;
                PublishResult result = broker.publish(TOPIC, "m" + expected).toCompletableFuture().join();
                assertEquals(expected, assertInstanceOf(PublishResult.Accepted.class, result).offset());
                published[0] = expected;
            };
            Recorder direct = new Recorder();
            broker.subscribe(TOPIC, SubscribeOptions.live().delivery(DeliveryPolicy.direct()), direct);
            List<Integer> all = new ArrayList<>(capacities);
            all.add(limit + first + burst);
            List<Recorder> recorders = new ArrayList<>();
            List<Subscription> subscriptions = new ArrayList<>();
            for (int capacity : all) {
                Recorder recorder = new Recorder();
                recorders.add(recorder);
                subscriptions.add(broker.subscribe(TOPIC,
                        SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(capacity)), recorder));
            }
            Recorder publisher = new Recorder() {
                @Override
                public void onMessage(Message<String> message) {
                    super.onMessage(message);
                    // The first message it gets starts a burst, then every `every`-th.
                    if (offsets.size() % every == 1 && published[0] < limit) {
                        for (int i = 0; i < burst; i++) {
                            publishOne.run();
                        }
                    }
                }
            };
            all.add(publisherCapacity);
            recorders.add(publisher);
            subscriptions.add(broker.subscribe(TOPIC,
                    SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(publisherCapacity)), publisher));
            for (int i = 0; i < first; i++) {
                publishOne.run();
            }
            executor.runAll();
            long n = published[0];
            assertEquals(LongStream.rangeClosed(1, n).boxed().toList(), direct.offsets, "the direct neighbour");
            long delivered = direct.offsets.size();
            long dropped = 0;
            boolean lapped = false;
            for (int i = 0; i < all.size(); i++) {
                int capacity = all.get(i);
                Recorder recorder = recorders.get(i);
                SubscriptionStats stats = subscriptions.get(i).stats();
                List<Long> got = recorder.offsets;
                String what = "dropOldest(" + capacity + ")" + (recorder == publisher ? " publishing" : "") + " "
                        + stats + " got " + got.size() + " of " + n;
                assertEquals(List.of(), recorder.violations, what);
                assertEquals(0, recorder.unflushed, what + ": messages without a batch end");
                for (int k = 1; k < got.size(); k++) {
                    assertTrue(got.get(k) > got.get(k - 1), what + ": " + got.get(k) + " after " + got.get(k - 1));
                }
                assertEquals(got.size(), stats.delivered(), what + ": delivered count");
                assertEquals(0, stats.pending() + stats.droppedNewest() + stats.droppedOnClose() + stats.errors(),
                        what);
                assertEquals(n, stats.delivered() + stats.droppedOldest(), what + ": delivered + droppedOldest");
                long tail = Math.min(capacity, n);
                assertTrue(got.size() >= tail, what + ": fewer than the newest " + tail);
                assertEquals(LongStream.rangeClosed(n - tail + 1, n).boxed().toList(),
                        got.subList((int) (got.size() - tail), got.size()), what + ": the newest " + tail);
                if (capacity >= n) {
                    assertEquals(0, stats.droppedOldest(), what + ": a queue larger than the run lost messages");
                }
                lapped |= stats.droppedOldest() > 0;
                delivered += stats.delivered();
                dropped += stats.dropped();
            }
            BrokerStats stats = broker.stats();
            assertEquals(n, stats.published());
            assertEquals(delivered, stats.delivered(), "broker delivered");
            assertEquals(dropped, stats.dropped(), "broker dropped");
            assertEquals(0, stats.pending(), "broker pending");
            Statistics.label("publishes from the callback").collect(n > first);
            Statistics.label("lapped while publishing from a callback").collect(lapped && n > first);
        }
        requireCoverage("publishes from the callback", 50);
        requireCoverage("lapped while publishing from a callback", 20);
    }
}
