package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.model.FakeClock;
import dev.herald.core.model.ManualExecutor;
import dev.herald.core.model.ReferenceQueue;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Each delivery policy, with a subscriber made slow on purpose: its executor only collects drain tasks and the
 * test runs them when it chooses. A second subscription with the direct policy on the same topic sees every
 * message at once, which shows that one slow subscriber holds up neither the publisher nor the others.
 *
 * <p>While a subscription is open, every message published to it is delivered, dropped (and counted) or still
 * pending; never lost silently (G2). Offsets arrive in order (G1). The policies differ only in which messages
 * survive a full queue: {@code dropOldest} keeps the newest, {@code dropNewest} the oldest, {@code closeOnOverflow}
 * closes the subscription exactly when the bound is passed and says so as the last callback, {@code block} makes
 * the publisher wait and then refuses the publish.
 */
class DeliveryPolicyProperties {
    private static final String TOPIC = "orders.eu";

    /** A slow subscriber under test and a direct one beside it, on one broker with a hand-run executor. */
    private static final class Rig implements AutoCloseable {
        final ManualExecutor executor = new ManualExecutor();
        final Broker<String> broker;
        final Recorder slow = new Recorder();
        final Subscription slowSubscription;
        final List<Long> direct = new ArrayList<>();
        final Subscription directSubscription;
        long published;

        Rig(DeliveryPolicy policy, Clock clock, HistoryPolicy history, boolean slowViaPattern) {
            broker = Broker.<String>builder().executor(executor).clock(clock).history(history)
                    .closeGracePeriod(Duration.ZERO).build();
            slowSubscription = broker.subscribe(slowViaPattern ? "orders.>" : TOPIC,
                    SubscribeOptions.live().delivery(policy), slow);
            directSubscription = broker.subscribe(TOPIC, SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    m -> direct.add(m.offset()));
        }

        Rig(DeliveryPolicy policy, Clock clock, HistoryPolicy history) {
            this(policy, clock, history, false);
        }

        Rig(DeliveryPolicy policy, boolean slowViaPattern) {
            this(policy, new FakeClock(), HistoryPolicy.none(), slowViaPattern);
        }

        Rig(DeliveryPolicy policy) {
            this(policy, false);
        }

        /** Publishes one message and returns its offset; it must be accepted and reach the direct subscriber. */
        long publish() {
            PublishResult result = broker.publish(TOPIC, "m" + (published + 1)).toCompletableFuture().join();
            long offset = assertInstanceOf(PublishResult.Accepted.class, result).offset();
            published++;
            // The direct subscriber has every message, in order, as soon as publish returns.
            assertEquals(published, direct.size(), "messages at the direct subscriber");
            assertEquals(offset, direct.get(direct.size() - 1), "newest offset at the direct subscriber");
            if (direct.size() > 1) {
                assertEquals(offset - 1, direct.get(direct.size() - 2), "offset before it at the direct subscriber");
            }
            return offset;
        }

        @Override
        public void close() {
            broker.close();
        }
    }

    /** Records callbacks in order and notices any that come after the subscription was closed. */
    static final class Recorder implements Subscriber<String> {
        final List<Long> offsets = new ArrayList<>();
        final List<String> closes = new ArrayList<>();
        final List<String> late = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        int batchEnds;
        /** Messages handed over since the last onBatchEnd: a subscriber that buffers has not flushed them. */
        int unflushed;

        @Override
        public void onMessage(Message<String> message) {
            if (!closes.isEmpty()) {
                late.add("onMessage #" + message.offset());
            }
            offsets.add(message.offset());
            threads.add(Thread.currentThread());
            unflushed++;
        }

        @Override
        public void onBatchEnd() {
            batchEnds++;
            unflushed = 0;
        }

        @Override
        public void onClose(CloseReason reason) {
            if (!closes.isEmpty()) {
                late.add("onClose " + reason);
            }
            closes.add(reason.name());
        }
    }

    /** A step of a run: publish {@code n} messages, or (0) let the slow subscriber catch up. */
    private static Arbitrary<List<Integer>> steps() {
        return Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(3, 1))
                .flatMap(kind -> kind == 0 ? Arbitraries.just(0) : Arbitraries.integers().between(1, 9))
                .list().ofMinSize(1).ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<Integer>> runs() {
        return steps();
    }

    @Provide
    Arbitrary<ReferenceQueue.Overflow> overflows() {
        return Arbitraries.of(ReferenceQueue.Overflow.values());
    }

    private static DeliveryPolicy policy(ReferenceQueue.Overflow overflow, int capacity) {
        return switch (overflow) {
            case DROP_OLDEST -> DeliveryPolicy.dropOldest(capacity);
            case DROP_NEWEST -> DeliveryPolicy.dropNewest(capacity);
            case CLOSE -> DeliveryPolicy.closeOnOverflow(capacity);
        };
    }

    /** Everything observable about the slow subscription equals the model. */
    private static void check(Rig rig, ReferenceQueue model, String when) {
        Subscription s = rig.slowSubscription;
        SubscriptionStats stats = s.stats();
        assertEquals(model.delivered(), rig.slow.offsets, when + ": delivered offsets");
        assertEquals(model.delivered().size(), stats.delivered(), when + ": delivered count");
        assertEquals(model.droppedOldest(), stats.droppedOldest(), when + ": dropped oldest");
        assertEquals(model.droppedNewest(), stats.droppedNewest(), when + ": dropped newest");
        assertEquals(model.droppedOnClose(), stats.droppedOnClose(), when + ": dropped on close");
        assertEquals(model.pending(), stats.pending(), when + ": pending");
        assertEquals(!model.isClosed(), s.isOpen(), when + ": open");
        assertEquals(model.closesTold(), rig.slow.closes, when + ": onClose calls");
        assertEquals(List.of(), rig.slow.late, when + ": callbacks after onClose");
        // G2: nothing that reached an open subscription vanished.
        assertEquals(model.offered(), stats.delivered() + stats.dropped() + stats.pending(),
                when + ": delivered + dropped + pending == offered");
    }

    // ------------------------------------------------------------------ all queued policies against the model

    @Property(tries = 300)
    void everyQueuedPolicyAccountsForEveryMessage(@ForAll("overflows") ReferenceQueue.Overflow overflow,
                                                  @ForAll @IntRange(min = 1, max = 6) int capacity,
                                                  @ForAll("runs") List<Integer> run,
                                                  @ForAll boolean slowViaPattern) {
        ReferenceQueue model = new ReferenceQueue(capacity, overflow);
        try (Rig rig = new Rig(policy(overflow, capacity), slowViaPattern)) {
            int step = 0;
            for (int n : run) {
                step++;
                if (n == 0) {
                    rig.executor.runAll();
                    model.drain();
                    check(rig, model, "step " + step + " (catch up)");
                    assertEquals(0, rig.slow.unflushed, "step " + step + ": no message left without a batch end");
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    long offset = rig.publish();
                    model.offer(offset);
                    check(rig, model, "step " + step + ", after publishing #" + offset);
                }
            }
            rig.executor.runAll();
            model.drain();
            check(rig, model, "after the final catch-up");
            assertEquals(1, rig.slow.closes.size() + (rig.slowSubscription.isOpen() ? 1 : 0),
                    "after catching up, either open or told once why not");
            rig.broker.close();
            model.closeByBroker();
            rig.executor.runAll();
            check(rig, model, "after the broker closed");
        }
    }

    @Property(tries = 200)
    void brokerCloseDiscardsAndCountsWhatWaitsAndTellsTheSubscriberLast(
            @ForAll("overflows") ReferenceQueue.Overflow overflow, @ForAll @IntRange(min = 1, max = 6) int capacity,
            @ForAll("runs") List<Integer> run) {
        ReferenceQueue model = new ReferenceQueue(capacity, overflow);
        try (Rig rig = new Rig(policy(overflow, capacity))) {
            for (int n : run) {
                if (n == 0) {
                    rig.executor.runAll();
                    model.drain();
                } else {
                    for (int i = 0; i < n; i++) {
                        model.offer(rig.publish());
                    }
                }
            }
            // Close while messages (or a slow-consumer close) may still wait for the subscriber.
            rig.broker.close();
            model.closeByBroker();
            check(rig, model, "right after the broker closed");
            rig.executor.runAll();
            check(rig, model, "after the drain tasks ran");
            assertEquals(model.offered(), rig.slowSubscription.stats().delivered()
                    + rig.slowSubscription.stats().dropped(), "delivered + dropped == offered once closed");
        }
    }

    @Property(tries = 150)
    void replayedHistoryComesFirstAndLiveMessagesFollowThePolicy(
            @ForAll("overflows") ReferenceQueue.Overflow overflow, @ForAll @IntRange(min = 1, max = 4) int capacity,
            @ForAll @IntRange(min = 1, max = 12) int before, @ForAll @IntRange(min = 1, max = 12) int replayCount,
            @ForAll("runs") List<Integer> run) {
        ManualExecutor executor = new ManualExecutor();
        try (Broker<String> broker = Broker.<String>builder().executor(executor).clock(new FakeClock())
                .history(HistoryPolicy.lastN(8)).closeGracePeriod(Duration.ZERO).build()) {
            for (int i = 1; i <= before; i++) {
                broker.publish(TOPIC, "old" + i);
            }
            Recorder recorder = new Recorder();
            Subscription subscription = broker.subscribe(TOPIC,
                    SubscribeOptions.last(replayCount).delivery(policy(overflow, capacity)), recorder);
            long retained = Math.min(8, before);
            long replayed = Math.min(replayCount, retained);
            assertEquals(replayed == Math.min(replayCount, before), subscription.recovered(), "recovered()");
            ReferenceQueue model = new ReferenceQueue(capacity, overflow);
            model.replay(LongStream.rangeClosed(before - replayed + 1, before).boxed().toList());
            long offset = before;
            for (int n : run) {
                if (n == 0) {
                    executor.runAll();
                    model.drain();
                } else {
                    for (int i = 0; i < n; i++) {
                        broker.publish(TOPIC, "new");
                        model.offer(++offset);
                    }
                }
                assertEquals(model.delivered(), recorder.offsets, "replay, then live under " + overflow);
                assertEquals(model.pending(), subscription.stats().pending(), "pending");
                assertEquals(!model.isClosed(), subscription.isOpen(), "open");
            }
            executor.runAll();
            model.drain();
            assertEquals(model.delivered(), recorder.offsets, "replay, then live under " + overflow);
            assertEquals(model.droppedOnClose(), subscription.stats().droppedOnClose(), "dropped on close");
            assertEquals(model.offered(), subscription.stats().delivered() + subscription.stats().dropped(),
                    "delivered + dropped == replayed + live");
            assertEquals(model.closesTold(), recorder.closes, "onClose calls");
        }
    }

    // ------------------------------------------------------------------ each policy, stated plainly

    @Property(tries = 100)
    void dropOldestKeepsTheNewestCapacityMessages(@ForAll @IntRange(min = 1, max = 8) int capacity,
                                                  @ForAll @IntRange(min = 1, max = 40) int count) {
        try (Rig rig = new Rig(DeliveryPolicy.dropOldest(capacity))) {
            for (int i = 0; i < count; i++) {
                rig.publish();
            }
            rig.executor.runAll();
            long kept = Math.min(capacity, count);
            assertEquals(LongStream.rangeClosed(count - kept + 1, count).boxed().toList(), rig.slow.offsets);
            assertEquals(count - kept, rig.slowSubscription.stats().droppedOldest());
            assertEquals(count, rig.slowSubscription.stats().delivered() + rig.slowSubscription.stats().dropped());
            assertTrue(rig.slowSubscription.isOpen());
        }
    }

    @Property(tries = 100)
    void dropNewestKeepsTheOldestCapacityMessages(@ForAll @IntRange(min = 1, max = 8) int capacity,
                                                  @ForAll @IntRange(min = 1, max = 40) int count) {
        try (Rig rig = new Rig(DeliveryPolicy.dropNewest(capacity))) {
            for (int i = 0; i < count; i++) {
                rig.publish();
            }
            rig.executor.runAll();
            long kept = Math.min(capacity, count);
            assertEquals(LongStream.rangeClosed(1, kept).boxed().toList(), rig.slow.offsets);
            assertEquals(count - kept, rig.slowSubscription.stats().droppedNewest());
            assertEquals(count, rig.slowSubscription.stats().delivered() + rig.slowSubscription.stats().dropped());
            assertTrue(rig.slowSubscription.isOpen());
        }
    }

    @Property(tries = 100)
    void closeOnOverflowClosesExactlyWhenTheBoundIsPassed(@ForAll @IntRange(min = 1, max = 8) int capacity,
                                                          @ForAll @IntRange(min = 0, max = 5) int afterClose) {
        try (Rig rig = new Rig(DeliveryPolicy.closeOnOverflow(capacity))) {
            for (int i = 0; i < capacity; i++) {
                rig.publish();
                assertTrue(rig.slowSubscription.isOpen(), "open with " + (i + 1) + " of " + capacity + " queued");
            }
            rig.publish();
            assertFalse(rig.slowSubscription.isOpen(), "closed once message " + (capacity + 1) + " passed the bound");
            for (int i = 0; i < afterClose; i++) {
                rig.publish();
            }
            rig.executor.runAll();
            assertEquals(List.of(), rig.slow.offsets, "what waited went with the subscription");
            assertEquals(List.of(CloseReason.SLOW_CONSUMER.name()), rig.slow.closes, "told once, last");
            assertEquals(List.of(), rig.slow.late);
            assertEquals(capacity + 1, rig.slowSubscription.stats().droppedOnClose());
            assertEquals(1, rig.broker.stats().slowConsumersClosed());
            assertEquals(1, rig.broker.topicStats(TOPIC).orElseThrow().subscribers(),
                    "the slow subscription left the topic; the direct one stays");
            assertTrue(rig.directSubscription.isOpen());
        }
    }

    @Property(tries = 100)
    void closeOnOverflowDeliversWhatItCouldBeforeTheClose(@ForAll @IntRange(min = 1, max = 8) int capacity,
                                                          @ForAll @IntRange(min = 1, max = 8) int first) {
        try (Rig rig = new Rig(DeliveryPolicy.closeOnOverflow(capacity))) {
            int kept = Math.min(first, capacity);
            for (int i = 0; i < kept; i++) {
                rig.publish();
            }
            rig.executor.runAll();
            for (int i = 0; i <= capacity; i++) {
                rig.publish();
            }
            rig.executor.runAll();
            List<String> expected = new ArrayList<>();
            assertEquals(LongStream.rangeClosed(1, kept).boxed().toList(), rig.slow.offsets,
                    "everything before the overflow, in order");
            expected.add(CloseReason.SLOW_CONSUMER.name());
            assertEquals(expected, rig.slow.closes);
            assertEquals(capacity + 1, rig.slowSubscription.stats().droppedOnClose());
            assertEquals(kept + capacity + 1, rig.slowSubscription.stats().delivered()
                    + rig.slowSubscription.stats().dropped());
        }
    }

    @Property(tries = 15)
    void aLongBacklogArrivesInOrderAndEndsWithABatchEnd(@ForAll @IntRange(min = 1, max = 3000) int count) {
        try (Rig rig = new Rig(DeliveryPolicy.dropOldest(4096))) {
            for (int i = 0; i < count; i++) {
                rig.publish();
            }
            assertEquals(count, rig.slowSubscription.stats().pending());
            rig.executor.runAll();
            assertEquals(LongStream.rangeClosed(1, count).boxed().toList(), rig.slow.offsets);
            assertEquals(0, rig.slow.unflushed, "the subscriber was told the batch ended after the last message");
            assertTrue(rig.slow.batchEnds >= 1 && rig.slow.batchEnds <= count);
            SubscriptionStats stats = rig.slowSubscription.stats();
            assertEquals(count, stats.delivered());
            assertEquals(0, stats.pending());
            assertEquals(0, stats.dropped());
        }
    }

    @Property(tries = 100)
    void directDeliversOnThePublisherThreadBeforePublishReturns(@ForAll @IntRange(min = 1, max = 50) int count) {
        try (Rig rig = new Rig(DeliveryPolicy.direct())) {
            for (int i = 1; i <= count; i++) {
                rig.publish();
                assertEquals(i, rig.slow.offsets.size(), "delivered before publish returned");
                assertEquals(0, rig.slow.unflushed, "in direct delivery every message is a batch of one");
            }
            assertEquals(0, rig.executor.queued(), "direct delivery never uses the executor");
            assertEquals(LongStream.rangeClosed(1, count).boxed().toList(), rig.slow.offsets);
            for (Thread thread : rig.slow.threads) {
                assertSame(Thread.currentThread(), thread);
            }
            SubscriptionStats stats = rig.slowSubscription.stats();
            assertEquals(count, stats.delivered());
            assertEquals(0, stats.dropped());
            assertEquals(0, stats.pending());
        }
    }

    // ------------------------------------------------------------------ block

    @Property(tries = 6)
    void blockRejectsThePublishWithBackpressureTimeoutWhileTheSubscriberStaysFull(
            @ForAll @IntRange(min = 1, max = 3) int capacity, @ForAll boolean slowViaPattern) {
        Duration timeout = Duration.ofMillis(50);
        try (Rig rig = new Rig(DeliveryPolicy.block(capacity, timeout), Clock.system(), HistoryPolicy.lastN(100),
                slowViaPattern)) {
            for (int i = 0; i < capacity; i++) {
                rig.publish();
            }
            long start = System.nanoTime();
            PublishResult result = rig.broker.publish(TOPIC, "refused").toCompletableFuture().join();
            long waited = System.nanoTime() - start;
            PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result);
            assertEquals(RejectReason.BACKPRESSURE_TIMEOUT, rejected.reason());
            assertTrue(waited >= timeout.toNanos(), "the publisher waited the whole timeout, not " + waited + " ns");
            assertEquals(capacity, rig.direct.size(), "a refused message reaches nobody");
            History<String> history = rig.broker.history(TOPIC, HistoryQuery.all()).toCompletableFuture().join();
            assertEquals(capacity, history.messages().size(), "a refused message is not stored");

            rig.executor.runAll();
            assertEquals(capacity + 1, rig.publish(), "the refused publish used no offset");
            rig.executor.runAll();
            assertEquals(LongStream.rangeClosed(1, capacity + 1).boxed().toList(), rig.slow.offsets);
            assertEquals(0, rig.slowSubscription.stats().dropped(), "block never drops");
            assertEquals(1, rig.broker.stats().rejected());
        }
    }

    @Property(tries = 4)
    void aBatchWaitsForRoomMessageByMessageAndOnlyTheOverflowIsRefused(
            @ForAll @IntRange(min = 1, max = 3) int capacity) {
        Duration timeout = Duration.ofMillis(30);
        try (Rig rig = new Rig(DeliveryPolicy.block(capacity, timeout), Clock.system(), HistoryPolicy.lastN(100))) {
            List<String> batch = List.of("b1", "b2", "b3", "b4", "b5");
            List<PublishResult> results = rig.broker.publishAll(TOPIC, batch).toCompletableFuture().join();
            // Nothing drains (the executor is manual): the first `capacity` fit, each later one waits and times out.
            assertEquals(batch.size(), results.size());
            for (int i = 0; i < batch.size(); i++) {
                if (i < capacity) {
                    assertEquals(i + 1, assertInstanceOf(PublishResult.Accepted.class, results.get(i)).offset());
                } else {
                    assertEquals(RejectReason.BACKPRESSURE_TIMEOUT,
                            assertInstanceOf(PublishResult.Rejected.class, results.get(i)).reason(), "element " + i);
                }
            }
            assertEquals(capacity, rig.slowSubscription.stats().pending(), "the bound held");
            rig.executor.runAll();
            assertEquals(LongStream.rangeClosed(1, capacity).boxed().toList(), rig.slow.offsets);
            assertEquals(capacity, rig.broker.stats().published());
            assertEquals(batch.size() - capacity, rig.broker.stats().rejected());
        }
    }

    @Example
    void blockedPublisherGoesOnOnceTheSubscriberMakesRoom() throws Exception {
        try (Rig rig = new Rig(DeliveryPolicy.block(1, Duration.ofSeconds(30)), Clock.system(), HistoryPolicy.none())) {
            rig.publish();
            CompletableFuture<PublishResult> blocked = new CompletableFuture<>();
            Thread publisher = new Thread(() -> blocked.complete(
                    rig.broker.publish(TOPIC, "second").toCompletableFuture().join()), "blocked-publisher");
            publisher.start();
            awaitWaiting(publisher);
            assertFalse(blocked.isDone(), "the publisher waits while the subscriber is full");
            rig.executor.runAll();
            PublishResult result = blocked.get(10, TimeUnit.SECONDS);
            assertTrue(result.accepted(), "accepted once there was room: " + result);
            publisher.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    @Example
    void blockTimeoutIsMeasuredOnTheBrokerClock() throws Exception {
        FakeClock clock = new FakeClock();
        try (Rig rig = new Rig(DeliveryPolicy.block(1, Duration.ofMillis(50)), clock, HistoryPolicy.none())) {
            rig.publish();
            CompletableFuture<PublishResult> blocked = new CompletableFuture<>();
            Thread publisher = new Thread(() -> blocked.complete(
                    rig.broker.publish(TOPIC, "waits").toCompletableFuture().join()), "blocked-publisher");
            publisher.start();
            awaitWaiting(publisher);
            clock.advance(TimeUnit.MILLISECONDS.toNanos(49));
            assertThrowsTimeout(blocked);
            clock.advance(TimeUnit.MILLISECONDS.toNanos(1));
            PublishResult result = blocked.get(10, TimeUnit.SECONDS);
            assertEquals(RejectReason.BACKPRESSURE_TIMEOUT,
                    assertInstanceOf(PublishResult.Rejected.class, result).reason());
            publisher.join(TimeUnit.SECONDS.toMillis(10));
            assertEquals(List.of(1L), rig.direct, "the refused message reached nobody");
        }
    }

    /** Waits (bounded) until the thread parks in a timed wait: the publisher is blocked on the full queue. */
    private static void awaitWaiting(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() - deadline > 0) {
                fail("the publisher never blocked; it is " + thread.getState());
            }
            Thread.sleep(1);
        }
    }

    /** The future stays incomplete for a while: the publisher still waits while the clock has not passed the timeout. */
    private static void assertThrowsTimeout(CompletableFuture<PublishResult> future)
            throws InterruptedException, ExecutionException {
        try {
            PublishResult early = future.get(100, TimeUnit.MILLISECONDS);
            fail("the publisher gave up before the broker clock passed the timeout: " + early);
        } catch (TimeoutException expected) {
            // Still waiting, as it must.
        }
    }
}
