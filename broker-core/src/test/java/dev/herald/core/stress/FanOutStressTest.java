package dev.herald.core.stress;

import static dev.herald.core.stress.PublishLedger.assertRange;
import static dev.herald.core.stress.PublishLedger.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.CloseReason;
import dev.herald.core.Message;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several publishers and many subscribers (exact topics and patterns, direct and queued) on the real broker and
 * its default executor. Every single message is checked: each subscription gets each matching topic's messages
 * exactly once, in offset order, with the payload published at that offset, or (with small queues) the missing
 * ones are exactly the drops its counters report.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FanOutStressTest {
    private static final List<String> TOPICS =
            List.of("orders.eu", "orders.us", "orders.eu.created", "billing.eu", "news");
    private static final List<String> PATTERNS = List.of("orders.*", "orders.>", ">", "*.eu", "*.*.created");
    private static final int PUBLISHERS = 4;
    private static final int PER_PUBLISHER = 6_000;

    private final ExecutorService threads = Executors.newFixedThreadPool(PUBLISHERS);

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    private record Sub(String filter, DeliveryPolicy policy, RecordingSubscriber recorder, Subscription subscription) {
    }

    @ParameterizedTest(name = "delivery on a pool of its own: {0}")
    @ValueSource(booleans = {false, true})
    void everySubscriptionGetsEveryMatchingMessageOnceAndInOrder(boolean ownPool) throws Exception {
        PublishLedger ledger = new PublishLedger();
        try (DeliveryPool pool = new DeliveryPool(ownPool);
             Broker<Payload> broker = pool.<Payload>builder().build()) {
            List<String> filters = new ArrayList<>(TOPICS);
            filters.addAll(PATTERNS);
            List<DeliveryPolicy> policies = List.of(DeliveryPolicy.direct(), DeliveryPolicy.dropOldest(1 << 20),
                    DeliveryPolicy.dropNewest(1 << 20));
            List<Sub> subs = new ArrayList<>();
            for (String filter : filters) {
                for (DeliveryPolicy policy : policies) {
                    RecordingSubscriber recorder = new RecordingSubscriber(filter + " " + policy, ledger);
                    Subscription subscription =
                            broker.subscribe(filter, SubscribeOptions.live().delivery(policy), recorder);
                    subs.add(new Sub(filter, policy, recorder, subscription));
                }
            }

            publishConcurrently(broker, ledger);

            for (String topic : TOPICS) {
                assertEquals(ledger.count(topic), ledger.assertGapless(topic));
            }
            for (Sub sub : subs) {
                long expected = expectedFor(sub.filter(), ledger);
                await(sub.recorder() + " to receive " + expected, Duration.ofSeconds(30),
                        () -> sub.recorder().received() >= expected);
            }
            long deliveries = 0;
            for (Sub sub : subs) {
                for (String topic : TOPICS) {
                    long n = Topics.matches(sub.filter(), topic) ? ledger.count(topic) : 0;
                    assertRange(sub.recorder() + " on " + topic, sub.recorder().offsets(topic), 1, n);
                }
                long expected = expectedFor(sub.filter(), ledger);
                SubscriptionStats stats = sub.subscription().stats();
                assertEquals(new SubscriptionStats(expected, 0, 0, 0, 0, 0), stats, sub.recorder().toString());
                assertEquals(List.of(), sub.recorder().checkPayloads());
                deliveries += expected;
            }
            BrokerStats stats = broker.stats();
            assertEquals(PUBLISHERS * PER_PUBLISHER, stats.published());
            assertEquals(deliveries, stats.delivered());
            assertEquals(0, stats.dropped());

            // After close() returns, nothing more reaches a subscriber, even while publishing goes on.
            for (Sub sub : subs) {
                sub.subscription().close();
                sub.recorder().markCloseReturned();
                assertFalse(sub.subscription().isOpen());
            }
            for (int i = 0; i < 100; i++) {
                // The topics lost their last subscriber, so they start over under new epochs: no ledger here.
                assertTrue(broker.publish(TOPICS.get(i % TOPICS.size()), new Payload(-1, i))
                        .toCompletableFuture().join().accepted());
            }
            for (Sub sub : subs) {
                assertEquals(List.of(), sub.recorder().checkPayloads());
                assertEquals(0, sub.subscription().stats().dropped(), sub.recorder().toString());
            }
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    @ParameterizedTest(name = "delivery on a pool of its own: {0}")
    @ValueSource(booleans = {false, true})
    void smallQueuesDropOnlyWhatTheirCountersReport(boolean ownPool) throws Exception {
        PublishLedger ledger = new PublishLedger();
        CountDownLatch gate = new CountDownLatch(1);
        try (DeliveryPool pool = new DeliveryPool(ownPool);
             Broker<Payload> broker = pool.<Payload>builder().build()) {
            List<Sub> gated = new ArrayList<>();
            List<Sub> slow = new ArrayList<>();
            for (String filter : List.of("orders.eu", "orders.>", ">")) {
                for (DeliveryPolicy policy : List.of(DeliveryPolicy.dropOldest(8), DeliveryPolicy.dropNewest(8),
                        DeliveryPolicy.closeOnOverflow(8))) {
                    // Blocks in its first callback until the publishers are done, so its queue surely overflows.
                    RecordingSubscriber recorder = new RecordingSubscriber("gated " + filter + " " + policy, ledger) {
                        @Override
                        void onReceived(Message<Payload> message) {
                            awaitGate(gate, this);
                        }
                    };
                    gated.add(new Sub(filter, policy, recorder,
                            broker.subscribe(filter, SubscribeOptions.live().delivery(policy), recorder)));
                }
                for (DeliveryPolicy policy : List.of(DeliveryPolicy.dropOldest(4), DeliveryPolicy.dropNewest(4))) {
                    // Merely slow: drops come and go with scheduling.
                    RecordingSubscriber recorder = new RecordingSubscriber("slow " + filter + " " + policy, ledger) {
                        @Override
                        void onReceived(Message<Payload> message) {
                            if (message.offset() % 16 == 0) {
                                Thread.yield();
                            }
                        }
                    };
                    slow.add(new Sub(filter, policy, recorder,
                            broker.subscribe(filter, SubscribeOptions.live().delivery(policy), recorder)));
                }
            }

            publishConcurrently(broker, ledger);
            gate.countDown();

            List<Sub> all = new ArrayList<>(gated);
            all.addAll(slow);
            for (Sub sub : all) {
                if (sub.policy().overflow() == DeliveryPolicy.Overflow.CLOSE) {
                    continue;
                }
                long expected = expectedFor(sub.filter(), ledger);
                await(sub.recorder() + " to account for " + expected + " messages", Duration.ofSeconds(30), () -> {
                    SubscriptionStats s = sub.subscription().stats();
                    return s.delivered() + s.dropped() >= expected && s.pending() == 0;
                });
                SubscriptionStats stats = sub.subscription().stats();
                assertEquals(expected, stats.delivered() + stats.dropped(), sub.recorder() + " " + stats);
                assertEquals(stats.delivered(), sub.recorder().received(), sub.recorder() + " " + stats);
                assertEquals(0, stats.droppedOnClose(), sub.recorder() + " " + stats);
                if (sub.policy().overflow() == DeliveryPolicy.Overflow.DROP_OLDEST) {
                    assertEquals(0, stats.droppedNewest(), sub.recorder() + " " + stats);
                } else {
                    assertEquals(0, stats.droppedOldest(), sub.recorder() + " " + stats);
                }
                assertEquals(List.of(), sub.recorder().checkPayloads());
            }
            for (Sub sub : gated) {
                SubscriptionStats stats = sub.subscription().stats();
                assertTrue(stats.dropped() > 0, sub.recorder() + " blocked with a queue of 8 yet dropped nothing");
                if (!sub.filter().equals("orders.eu")) {
                    continue;
                }
                List<Long> got = sub.recorder().offsets("orders.eu");
                long n = ledger.count("orders.eu");
                switch (sub.policy().overflow()) {
                    case DROP_NEWEST -> {
                        // The queue keeps what it has: the first batch (from offset 1) is taken, the callback blocks,
                        // the queue fills once more and keeps those 8. If the drain only started after the gate
                        // opened, there is just the first full queue.
                        assertTrue(got.size() >= 8 && got.size() <= 16, sub.recorder() + " got " + got);
                        assertEquals(1, got.get(0), sub.recorder() + " got " + got);
                        assertHeadAndTail(sub.recorder().toString(), got);
                    }
                    case DROP_OLDEST -> {
                        // A batch taken before the block (if the drain ran in time), then the newest 8.
                        assertTrue(got.size() >= 8 && got.size() <= 16, sub.recorder() + " got " + got);
                        assertRange(sub.recorder() + " tail", got.subList(got.size() - 8, got.size()), n - 7, n);
                        assertHeadAndTail(sub.recorder().toString(), got);
                    }
                    case CLOSE -> {
                        await(sub.recorder() + " to be closed as slow", Duration.ofSeconds(10),
                                () -> !sub.recorder().closeReasons().isEmpty());
                        assertEquals(List.of(CloseReason.SLOW_CONSUMER), sub.recorder().closeReasons());
                        assertFalse(sub.subscription().isOpen());
                        assertTrue(got.size() <= 8, sub.recorder() + " got " + got);
                        assertRange(sub.recorder().toString(), got, 1, got.size());
                        // Offered: one batch (1..8) + a full queue (8) + the message that overflowed it.
                        long offered = stats.delivered() + stats.dropped();
                        assertTrue(offered >= 9 && offered <= 17, sub.recorder() + " " + stats);
                        assertEquals(stats.dropped(), stats.droppedOnClose(), sub.recorder() + " " + stats);
                    }
                    default -> throw new AssertionError(sub.policy());
                }
            }
            for (Sub sub : all) {
                assertEquals(List.of(), sub.recorder().checkPayloads());
            }
            assertTrue(broker.stats().slowConsumersClosed() >= 3, broker.stats().toString());
        }
    }

    /** A first batch of at most 8 (maybe none), then a queue of 8: each a contiguous run. */
    private static void assertHeadAndTail(String what, List<Long> got) {
        PublishLedger.assertContiguous(what + " first batch", got.subList(0, got.size() - 8));
        PublishLedger.assertContiguous(what + " last queue", got.subList(got.size() - 8, got.size()));
    }

    private static void awaitGate(CountDownLatch gate, RecordingSubscriber recorder) {
        try {
            if (!gate.await(20, TimeUnit.SECONDS)) {
                recorder.violation("gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void publishConcurrently(Broker<Payload> broker, PublishLedger ledger) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> publishers =
                ledger.startPublishers(threads, broker, TOPICS, PUBLISHERS, PER_PUBLISHER, start);
        start.countDown();
        for (Future<?> publisher : publishers) {
            publisher.get(30, TimeUnit.SECONDS);
        }
    }

    private static long expectedFor(String filter, PublishLedger ledger) {
        long expected = 0;
        for (String topic : TOPICS) {
            if (Topics.matches(filter, topic)) {
                expected += ledger.count(topic);
            }
        }
        return expected;
    }
}
