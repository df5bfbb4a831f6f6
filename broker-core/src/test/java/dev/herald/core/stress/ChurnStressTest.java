package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.TopicStats;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Subscriptions to topics and patterns open and close at random while publishers run. Each short-lived
 * subscription is checked message by message: it sees only matching topics, each in offset order with no hole,
 * starting no earlier than the topic stood before it subscribed and no later than right after; every message
 * published while it was open is delivered or counted as dropped on close; nothing arrives after close() returns.
 * Once everything is closed, no topic is left behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChurnStressTest {
    private static final List<String> TOPICS = List.of("c.a", "c.b", "c.a.x", "d.a", "d.b.x");
    private static final List<String> FILTERS =
            List.of("c.a", "c.b", "c.a.x", "d.a", "d.b.x", "c.*", "c.>", "*.a", ">", "*.b.*", "d.>");
    private static final int PUBLISHERS = 2;
    private static final int CHURNERS = 2;
    private static final int ROUNDS = 150;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    @ParameterizedTest(name = "delivery on a pool of its own: {0}")
    @ValueSource(booleans = {false, true})
    void shortLivedSubscriptionsAccountForEveryMessagePublishedWhileOpen(boolean ownPool) throws Exception {
        // Retained history keeps every topic (and its epoch) alive, so offsets can be compared across the run.
        try (DeliveryPool pool = new DeliveryPool(ownPool);
             Broker<Payload> broker = pool.<Payload>builder().history(HistoryPolicy.lastN(32)).build()) {
            PublishLedger ledger = new PublishLedger();
            for (String topic : TOPICS) {
                ledger.publish(broker, topic, new Payload(-1, 0));
            }
            churn(broker, ledger, true);
            assertEquals(TOPICS.size(), broker.stats().topics());
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    @Test
    void churnOverTopicsWithoutHistoryLeavesNoTopicBehind() throws Exception {
        try (Broker<Payload> broker = Broker.<Payload>builder().build()) {
            churn(broker, null, false);
            assertEquals(0, broker.stats().subscriptions());
            assertEquals(0, broker.stats().topics(), "topics outlived all their subscriptions: "
                    + TOPICS.stream().map(broker::topicStats).flatMap(java.util.Optional::stream).toList());
        }
    }

    @Test
    void exactSubscriptionHoldsItsTopicAndEpochWhileUnsubscribedPublishesCreateAndDropIt() throws Exception {
        // Without history or subscribers, every publish creates the topic and drops it again; a subscription that
        // registers meanwhile must end up with a topic that exists, under the epoch its position reports.
        try (Broker<Payload> broker = Broker.<Payload>builder().build()) {
            CountDownLatch done = new CountDownLatch(1);
            List<Future<?>> publishers = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int publisher = p;
                publishers.add(threads.submit(() -> {
                    for (long i = 0; done.getCount() > 0; i++) {
                        assertTrue(broker.publish("hot", new Payload(publisher, i)).toCompletableFuture().join()
                                .accepted());
                    }
                    return null;
                }));
            }
            try {
                for (int round = 0; round < 2_000; round++) {
                    List<Long> got = new java.util.concurrent.CopyOnWriteArrayList<>();
                    Subscription subscription = broker.subscribe("hot",
                            SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(1 << 20)), m -> got.add(m.offset()));
                    String epoch = subscription.position().epoch();
                    TopicStats stats = broker.topicStats("hot").orElse(null);
                    assertTrue(stats != null, "round " + round + ": subscribed topic does not exist");
                    assertEquals(epoch, stats.position().epoch(), "round " + round + ": epoch changed under the "
                            + "subscription");
                    subscription.close();
                    PublishLedger.assertContiguous("round " + round, got);
                }
            } finally {
                done.countDown();
            }
            for (Future<?> publisher : publishers) {
                publisher.get(10, TimeUnit.SECONDS);
            }
            assertEquals(0, broker.stats().topics());
        }
    }

    private void churn(Broker<Payload> broker, PublishLedger ledger, boolean account) throws Exception {
        CountDownLatch churnersDone = new CountDownLatch(CHURNERS);
        List<Future<?>> publishers = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++) {
            int publisher = p;
            publishers.add(threads.submit(() -> {
                Random random = new Random(100 + publisher);
                for (long i = 0; churnersDone.getCount() > 0; i++) {
                    String topic = TOPICS.get(random.nextInt(TOPICS.size()));
                    if (random.nextInt(4) == 0) {
                        // A batch, which a subscription may join or leave in the middle of, as of any publish.
                        List<Payload> batch = new ArrayList<>();
                        for (int n = 1 + random.nextInt(16); n > 0; n--) {
                            batch.add(new Payload(publisher, i++));
                        }
                        if (ledger != null) {
                            ledger.publishAll(broker, topic, batch);
                        } else {
                            assertTrue(broker.publishAll(topic, batch).toCompletableFuture().join().stream()
                                    .allMatch(PublishResult::accepted));
                        }
                    } else if (ledger != null) {
                        ledger.publish(broker, topic, new Payload(publisher, i));
                    } else {
                        assertTrue(broker.publish(topic, new Payload(publisher, i)).toCompletableFuture().join()
                                .accepted());
                    }
                    if (i % 8 == 0) {
                        LockSupport.parkNanos(20_000);
                    }
                }
                return null;
            }));
        }
        List<Future<List<RecordingSubscriber>>> churners = new ArrayList<>();
        for (int c = 0; c < CHURNERS; c++) {
            int churner = c;
            churners.add(threads.submit(() -> {
                try {
                    return churnRounds(broker, ledger, account, new Random(churner), "churner" + churner);
                } finally {
                    churnersDone.countDown();
                }
            }));
        }
        List<RecordingSubscriber> recorders = new ArrayList<>();
        for (Future<List<RecordingSubscriber>> churner : churners) {
            recorders.addAll(churner.get(40, TimeUnit.SECONDS));
        }
        for (Future<?> publisher : publishers) {
            publisher.get(10, TimeUnit.SECONDS);
        }
        long received = 0;
        for (RecordingSubscriber recorder : recorders) {
            assertEquals(List.of(), ledger != null ? recorder.checkPayloads() : recorder.violations());
            received += recorder.received();
        }
        assertTrue(received > ROUNDS, "only " + received + " messages reached " + recorders.size()
                + " subscriptions: the churn hardly overlapped publishing");
    }

    private static List<RecordingSubscriber> churnRounds(Broker<Payload> broker, PublishLedger ledger,
                                                         boolean account, Random random, String name) {
        List<RecordingSubscriber> recorders = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            String filter = FILTERS.get(random.nextInt(FILTERS.size()));
            DeliveryPolicy policy = switch (random.nextInt(3)) {
                case 0 -> DeliveryPolicy.direct();
                case 1 -> DeliveryPolicy.dropOldest(1 << 20);
                default -> DeliveryPolicy.dropNewest(1 << 20);
            };
            String what = name + " round " + round + " " + filter + " " + policy;
            RecordingSubscriber recorder = new RecordingSubscriber(what, ledger);
            long[] before = account ? offsets(broker) : null;
            Subscription subscription = broker.subscribe(filter, SubscribeOptions.live().delivery(policy), recorder);
            long[] opened = account ? offsets(broker) : null;
            LockSupport.parkNanos(random.nextInt(2_000_000));
            long[] closing = account ? offsets(broker) : null;
            subscription.close();
            recorder.markCloseReturned();
            long[] closed = account ? offsets(broker) : null;
            assertFalse(subscription.isOpen(), what);
            recorders.add(recorder);

            Map<String, List<Long>> got = recorder.allOffsets();
            for (Map.Entry<String, List<Long>> entry : got.entrySet()) {
                assertTrue(Topics.matches(filter, entry.getKey()), what + " got " + entry.getKey());
                PublishLedger.assertContiguous(what + " on " + entry.getKey(), entry.getValue());
            }
            SubscriptionStats stats = subscription.stats();
            long delivered = got.values().stream().mapToLong(List::size).sum();
            assertEquals(delivered, stats.delivered(), what + " " + stats);
            assertEquals(0, stats.droppedOldest() + stats.droppedNewest(), what + " " + stats);
            assertEquals(0, stats.pending(), what + " " + stats);
            if (account) {
                checkAccounting(what, filter, subscription, got, stats, before, opened, closing, closed);
            }
        }
        return recorders;
    }

    /**
     * The messages offered to a subscription are, per matching topic, a run of offsets that starts after where the
     * topic stood before subscribe and no later than right after subscribe returned, and ends no earlier than where
     * it stood before close and no later than after. Delivered plus dropped must fit those bounds.
     */
    private static void checkAccounting(String what, String filter, Subscription subscription,
                                        Map<String, List<Long>> got, SubscriptionStats stats, long[] before,
                                        long[] opened, long[] closing, long[] closed) {
        long least = 0;
        long most = 0;
        for (int t = 0; t < TOPICS.size(); t++) {
            String topic = TOPICS.get(t);
            if (!Topics.matches(filter, topic)) {
                continue;
            }
            List<Long> offsets = got.getOrDefault(topic, List.of());
            if (offsets.isEmpty()) {
                least += Math.max(0, closing[t] - opened[t]);
                most += closed[t] - before[t];
                continue;
            }
            long first = offsets.get(0);
            long last = offsets.get(offsets.size() - 1);
            long startBound = filter.equals(topic) ? subscription.position().offset() + 1 : opened[t] + 1;
            assertTrue(first > before[t] && first <= startBound, what + " on " + topic + ": first offset " + first
                    + " outside (" + before[t] + ", " + startBound + "]");
            assertTrue(last <= closed[t], what + " on " + topic + ": " + last + " after close at " + closed[t]);
            least += Math.max(closing[t], last) - first + 1;
            most += closed[t] - first + 1;
        }
        long accounted = stats.delivered() + stats.dropped();
        assertTrue(accounted >= least && accounted <= most, what + ": delivered " + stats.delivered() + " + dropped "
                + stats.dropped() + " outside [" + least + ", " + most + "]");
    }

    private static long[] offsets(Broker<Payload> broker) {
        long[] offsets = new long[TOPICS.size()];
        for (int t = 0; t < offsets.length; t++) {
            offsets[t] = broker.topicStats(TOPICS.get(t)).map(TopicStats::position).orElseThrow().offset();
        }
        return offsets;
    }

}
