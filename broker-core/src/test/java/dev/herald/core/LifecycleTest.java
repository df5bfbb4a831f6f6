package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How topics and subscriptions come and go: eviction of unused topics, topics held by patterns, subscriber
 * errors, and closing (idempotent, from inside a callback, by the broker).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LifecycleTest {

    private static Broker<String> syncBroker(HistoryPolicy history) {
        return Broker.<String>builder().executor(Runnable::run).history(history).build();
    }

    private static PublishResult.Accepted publish(Broker<String> broker, String topic, String data) {
        PublishResult result = broker.publish(topic, data).toCompletableFuture().join();
        assertTrue(result.accepted(), () -> "refused: " + result);
        return (PublishResult.Accepted) result;
    }

    @Test
    void topicWithoutSubscribersOrHistoryIsEvictedRightAfterPublish() {
        try (Broker<String> broker = syncBroker(HistoryPolicy.none())) {
            PublishResult.Accepted first = publish(broker, "news", "a");
            assertEquals(0, broker.stats().topics());
            assertTrue(broker.topicStats("news").isEmpty());
            // A later publish starts the topic's life again: offsets restart under a new epoch.
            PublishResult.Accepted second = publish(broker, "news", "b");
            assertEquals(1, second.offset());
            assertNotEquals(first.epoch(), second.epoch());
            assertEquals(0, broker.stats().topics());
        }
    }

    @Test
    void exactSubscriptionHoldsItsTopicUntilItCloses() {
        try (Broker<String> broker = syncBroker(HistoryPolicy.none())) {
            List<Long> offsets = new ArrayList<>();
            Subscription subscription = broker.subscribe("news", m -> offsets.add(m.offset()));
            assertEquals(1, broker.stats().topics());
            String epoch = publish(broker, "news", "a").epoch();
            assertEquals(epoch, publish(broker, "news", "b").epoch());
            assertEquals(List.of(1L, 2L), offsets);
            assertEquals(1, broker.topicStats("news").orElseThrow().subscribers());
            subscription.close();
            assertEquals(0, broker.stats().topics());
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    @Test
    void topicWithRetainedHistoryStaysUntilTheHistoryExpires() {
        FakeClock clock = new FakeClock();
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run).clock(clock)
                .history(HistoryPolicy.maxAge(Duration.ofSeconds(10))).build()) {
            publish(broker, "news", "a");
            assertEquals(1, broker.stats().topics());
            assertEquals(1, broker.topicStats("news").orElseThrow().retained());
            clock.advance(Duration.ofSeconds(11));
            // The broker's sweeper runs about every second; nothing touches the topic meanwhile.
            awaitTrue("the sweeper to evict the expired topic", () -> broker.stats().topics() == 0);
            assertTrue(broker.topicStats("news").isEmpty());
        }
    }

    @Test
    void patternSubscriptionKeepsMatchingTopicsOffsetsContinuousAndReleasesThemOnClose() {
        try (Broker<String> broker = syncBroker(HistoryPolicy.none())) {
            List<String> got = new ArrayList<>();
            Subscription subscription = broker.subscribe("orders.*", m -> got.add(m.topic() + ":" + m.offset()));
            assertEquals(0, broker.stats().topics(), "a pattern alone creates no topic");
            String epoch = publish(broker, "orders.eu", "a").epoch();
            publish(broker, "orders.us", "b");
            assertEquals(epoch, publish(broker, "orders.eu", "c").epoch());
            publish(broker, "billing.eu", "not matched");
            assertEquals(List.of("orders.eu:1", "orders.us:1", "orders.eu:2"), got);
            assertEquals(2, broker.stats().topics(), "the two matched topics are held, the other is not");
            assertEquals(2, broker.topicStats("orders.eu").orElseThrow().position().offset());

            subscription.close();
            assertEquals(0, broker.stats().topics());
            PublishResult.Accepted after = publish(broker, "orders.eu", "d");
            assertEquals(1, after.offset());
            assertNotEquals(epoch, after.epoch());
        }
    }

    @Test
    void closingOnePatternWhileAnotherStillMatchesKeepsTheTopicsAndReturns() {
        // Many topics, so some share a hash bin of the engine's set of held topics: the release walk once
        // re-added what it had just removed and never ended.
        try (Broker<String> broker = syncBroker(HistoryPolicy.none())) {
            Subscription narrow = broker.subscribe("t.*", m -> { });
            AtomicLong wide = new AtomicLong();
            Subscription everything = broker.subscribe(">", m -> wide.incrementAndGet());
            for (int i = 0; i < 64; i++) {
                publish(broker, "t." + i, "x");
            }
            assertEquals(64, broker.stats().topics());

            narrow.close();
            assertEquals(64, broker.stats().topics(), "'>' still matches every topic");
            for (int i = 0; i < 64; i++) {
                assertEquals(2, publish(broker, "t." + i, "y").offset(), "offsets go on while '>' is open");
            }
            assertEquals(128, wide.get());

            everything.close();
            assertEquals(0, broker.stats().topics());
        }
    }

    @Test
    void patternInterestIsReleasedWhateverStringInstanceNamesIt() {
        try (Broker<String> broker = syncBroker(HistoryPolicy.none())) {
            // Equal filters, distinct String objects.
            Subscription first = broker.subscribe(new String("orders.*"), m -> { });
            Subscription second = broker.subscribe(new String("orders.*"), m -> { });
            publish(broker, "orders.eu", "x");
            assertEquals(1, broker.stats().topics());
            first.close();
            assertEquals(1, broker.stats().topics());
            second.close();
            assertEquals(0, broker.stats().topics());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"direct", "queued"})
    void subscriberExceptionsAreCountedReportedAndDeliveryGoesOn(String mode) {
        List<String> reported = new CopyOnWriteArrayList<>();
        DeliveryPolicy policy = mode.equals("direct") ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(100);
        try (Broker<String> broker = Broker.<String>builder()
                .errorListener((filter, error) -> reported.add(filter + ": " + error.getMessage())).build()) {
            List<Long> seen = new CopyOnWriteArrayList<>();
            Subscription subscription = broker.subscribe("jobs.>", SubscribeOptions.live().delivery(policy), m -> {
                seen.add(m.offset());
                if (m.offset() % 2 == 0) {
                    throw new IllegalStateException("boom at " + m.offset());
                }
            });
            for (int i = 0; i < 10; i++) {
                publish(broker, "jobs.a", "m" + i);
            }
            awaitTrue("all ten deliveries", () -> subscription.stats().delivered() == 10);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), seen);
            assertEquals(5, subscription.stats().errors());
            assertEquals(5, broker.stats().subscriberErrors());
            assertEquals(List.of("jobs.>: boom at 2", "jobs.>: boom at 4", "jobs.>: boom at 6", "jobs.>: boom at 8",
                    "jobs.>: boom at 10"), reported);
            assertTrue(subscription.isOpen());
        }
    }

    @Test
    void errorListenerThatThrowsDoesNotDisturbDelivery() {
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .errorListener((filter, error) -> {
                    throw new IllegalStateException("listener broken too");
                }).build()) {
            List<Long> seen = new ArrayList<>();
            Subscription subscription = broker.subscribe("a", m -> {
                seen.add(m.offset());
                throw new IllegalArgumentException("always");
            });
            publish(broker, "a", "1");
            publish(broker, "a", "2");
            assertEquals(List.of(1L, 2L), seen);
            assertEquals(2, subscription.stats().errors());
        }
    }

    @Test
    void subscriptionCloseIsIdempotent() {
        try (Broker<String> broker = Broker.<String>builder().build()) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Subscription subscription = broker.subscribe("a", SubscribeOptions.live()
                    .delivery(DeliveryPolicy.dropOldest(10)), m -> {
                        entered.countDown();
                        await(release);
                    });
            publish(broker, "a", "1");
            await(entered);
            publish(broker, "a", "2");
            publish(broker, "a", "3");
            Thread closer = new Thread(subscription::close);
            closer.start();
            release.countDown();
            join(closer);
            SubscriptionStats afterFirst = subscription.stats();
            subscription.close();
            subscription.close();
            assertFalse(subscription.isOpen());
            assertEquals(afterFirst, subscription.stats());
            assertEquals(3, afterFirst.delivered() + afterFirst.dropped());
            assertEquals(0, broker.stats().subscriptions());
            assertEquals(0, broker.stats().topics());
            assertEquals(afterFirst.dropped(), broker.stats().dropped());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"direct", "queued", "queued-sync"})
    void subscriberMayCloseItsOwnSubscriptionFromItsCallback(String mode) {
        BrokerBuilder<String> builder = Broker.<String>builder();
        if (mode.equals("queued-sync")) {
            builder.executor(Runnable::run);
        }
        DeliveryPolicy policy = mode.equals("direct") ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(100);
        try (Broker<String> broker = builder.build()) {
            AtomicReference<Subscription> self = new AtomicReference<>();
            List<Long> seen = new CopyOnWriteArrayList<>();
            CountDownLatch closed = new CountDownLatch(1);
            Subscription subscription = broker.subscribe("a", SubscribeOptions.live().delivery(policy), m -> {
                seen.add(m.offset());
                if (m.offset() == 3) {
                    self.get().close();
                    closed.countDown();
                }
            });
            self.set(subscription);
            for (int i = 0; i < 6; i++) {
                publish(broker, "a", "m" + i);
            }
            await(closed);
            assertFalse(subscription.isOpen());
            for (int i = 0; i < 3; i++) {
                publish(broker, "a", "after" + i);
            }
            assertEquals(List.of(1L, 2L, 3L), seen);
            // The callback that closed is still finishing its batch on the delivery thread; wait for its count.
            awaitTrue("the closing batch to be counted", () -> subscription.stats().delivered() == 3);
            SubscriptionStats stats = subscription.stats();
            assertEquals(3, stats.delivered());
            assertEquals(0, stats.pending());
            assertEquals(0, broker.stats().subscriptions());
            assertEquals(0, broker.stats().topics());
        }
    }

    @Test
    void brokerCloseEndsEverySubscriptionWithOneOnCloseAsTheLastCallback() {
        List<String> events = new CopyOnWriteArrayList<>();
        Broker<String> broker = Broker.<String>builder().build();
        Subscription exact = broker.subscribe("a", new Subscriber<>() {
            @Override
            public void onMessage(Message<String> message) {
                events.add("a:" + message.data());
            }

            @Override
            public void onClose(CloseReason reason) {
                events.add("a closed " + reason);
            }
        });
        Subscription pattern = broker.subscribe("*", new Subscriber<>() {
            @Override
            public void onMessage(Message<String> message) {
                events.add("*:" + message.data());
            }

            @Override
            public void onClose(CloseReason reason) {
                events.add("* closed " + reason);
            }
        });
        publish(broker, "a", "1");
        broker.close();
        broker.close();
        assertFalse(broker.isOpen());
        assertFalse(exact.isOpen());
        assertFalse(pattern.isOpen());
        List<String> forA = events.stream().filter(e -> e.startsWith("a")).toList();
        List<String> forStar = events.stream().filter(e -> e.startsWith("*")).toList();
        assertEquals(List.of("a:1", "a closed BROKER_CLOSED"), forA);
        assertEquals(List.of("*:1", "* closed BROKER_CLOSED"), forStar);
        exact.close();
        assertSame(RejectReason.BROKER_CLOSED,
                ((PublishResult.Rejected) broker.publish("a", "late").toCompletableFuture().join()).reason());
        assertEquals(4, events.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"direct", "queued"})
    void brokerClosedFromASubscriberCallbackDoesNotWaitForThatCallback(String mode) throws InterruptedException {
        // A grace period far past the test's timeout: close must not spend it waiting for its own thread.
        Broker<String> broker = Broker.<String>builder().closeGracePeriod(Duration.ofHours(1)).build();
        DeliveryPolicy policy = mode.equals("direct") ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(100);
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Thread> callbackThread = new AtomicReference<>();
        Subscription subscription = broker.subscribe("a", SubscribeOptions.live().delivery(policy),
                new Subscriber<>() {
                    @Override
                    public void onMessage(Message<String> message) {
                        events.add(message.data());
                        if (message.offset() == 1) {
                            callbackThread.set(Thread.currentThread());
                            entered.countDown();
                            await(release);
                            broker.close();
                            closed.countDown();
                        }
                    }

                    @Override
                    public void onClose(CloseReason reason) {
                        events.add("closed " + reason);
                    }
                });
        Thread publisher = new Thread(() -> {
            broker.publish("a", "1");
            broker.publish("a", "2");
        });
        publisher.start();
        await(entered);
        if (mode.equals("queued")) {
            join(publisher);
        }
        release.countDown();
        await(closed);
        join(publisher);
        assertFalse(broker.isOpen());
        assertFalse(subscription.isOpen());
        assertEquals(List.of("1", "closed BROKER_CLOSED"), events);
        if (mode.equals("queued")) {
            // The delivery thread finishes its callback and then ends with the broker's pool.
            callbackThread.get().join(10_000);
            assertFalse(callbackThread.get().isAlive());
            assertEquals(1, subscription.stats().droppedOnClose(), "2 waited behind the closing callback");
            assertEquals(1, subscription.stats().delivered());
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, () -> "timed out waiting for " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "latch timed out");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(thread.isAlive(), thread + " did not finish");
    }

    /** A clock the test moves by hand. */
    static final class FakeClock implements Clock {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        private final Instant start = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration by) {
            nanos.addAndGet(by.toNanos());
        }

        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public Instant now() {
            return start.plusNanos(nanos.get());
        }
    }
}
