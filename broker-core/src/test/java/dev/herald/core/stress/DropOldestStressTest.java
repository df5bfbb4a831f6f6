package dev.herald.core.stress;

import static dev.herald.core.stress.PublishLedger.assertRange;
import static dev.herald.core.stress.PublishLedger.await;
import static dev.herald.core.stress.PublishLedger.describe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.Message;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.policy.DeliveryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many {@code dropOldest} subscriptions per topic, with capacities from 1 to 100 000 and fast or slow
 * subscribers, on the real broker and its own executor, while several publishers run and other subscriptions
 * open and close all the time. However the broker shares a topic's messages between its subscriptions, each one
 * must behave as if it had a queue of its own. Every single message is checked: each subscription sees offsets
 * strictly increasing, each carrying the payload published at that offset; a subscription that stays open to the
 * end accounts for every message published after it subscribed as delivered or dropped as oldest, its holes are
 * exactly its drops, and none of them is among the newest {@code capacity} messages. A capacity larger than
 * everything published loses nothing, whatever its slow neighbours do.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DropOldestStressTest {
    private static final List<String> TOPICS = List.of("ring.a", "ring.b", "ring.c");
    private static final int PUBLISHERS = 3;
    private static final int PER_PUBLISHER = 20_000;
    private static final int CHURNERS = 2;
    private static final int HUGE = 100_000;
    /** Capacities of the subscriptions that stay open through the run; 0 stands for the broker's default. */
    private static final int[] CAPACITIES = {1, 2, 16, 256, 0, 4096, HUGE, HUGE};
    /** Which of them have slow subscribers, index for index. */
    private static final boolean[] SLOW = {false, true, true, false, true, false, true, false};
    private static final int DEFAULT_CAPACITY = 1024;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    /** A subscription and what the test knew of its topic's position around its subscribe and close. */
    private static final class Sub {
        final String topic;
        final int capacity;
        final RecordingSubscriber recorder;
        /** The topic's newest offset before subscribe was called: nothing at or below it may arrive. */
        long before;
        Subscription subscription;
        /** The topic's newest offset right before close was called, and right after it returned. */
        long beforeClose = -1;
        long afterClose = -1;
        SubscriptionStats statsAtClose;

        Sub(String topic, int capacity, RecordingSubscriber recorder) {
            this.topic = topic;
            this.capacity = capacity;
            this.recorder = recorder;
        }

        @Override
        public String toString() {
            return recorder + " (subscribed after offset " + before + ", position " + subscription.position().offset()
                    + ")";
        }
    }

    /** Spins for about {@code nanos}: a subscriber that does real work, without giving up its thread. */
    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    private static RecordingSubscriber recorder(String name, PublishLedger ledger, boolean slow, long seed) {
        if (!slow) {
            return new RecordingSubscriber(name, ledger);
        }
        Random random = new Random(seed);
        return new RecordingSubscriber(name, ledger) {
            @Override
            void onReceived(Message<Payload> message) {
                // Mostly a little work, now and then a pause long enough to fall far behind.
                if (random.nextInt(400) == 0) {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
                } else {
                    spin(1_000);
                }
            }
        };
    }

    private static long newest(Broker<Payload> broker, String topic) {
        // A topic nobody subscribed to or published to yet does not exist: it stands at 0.
        return broker.topicStats(topic).map(stats -> stats.position().offset()).orElse(0L);
    }

    private static Sub subscribe(Broker<Payload> broker, String topic, int capacity, RecordingSubscriber recorder) {
        Sub sub = new Sub(topic, capacity, recorder);
        sub.before = newest(broker, topic);
        SubscribeOptions options = capacity == 0 ? SubscribeOptions.live()
                : SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(capacity));
        sub.subscription = broker.subscribe(topic, options, recorder);
        return sub;
    }

    @ParameterizedTest(name = "delivery on a pool of its own: {0}")
    @ValueSource(booleans = {false, true})
    void everyDropOldestSubscriptionAccountsForEveryMessageOfItsTopic(boolean ownPool) throws Exception {
        PublishLedger ledger = new PublishLedger();
        try (DeliveryPool pool = new DeliveryPool(ownPool);
             Broker<Payload> broker = pool.<Payload>builder().build()) {
            List<Sub> whole = new ArrayList<>();
            List<Sub> lateButStaying = Collections.synchronizedList(new ArrayList<>());
            List<Sub> churned = Collections.synchronizedList(new ArrayList<>());
            for (String topic : TOPICS) {
                for (int i = 0; i < CAPACITIES.length; i++) {
                    int capacity = CAPACITIES[i];
                    String name = topic + " dropOldest(" + (capacity == 0 ? "default" : capacity) + ")"
                            + (SLOW[i] ? " slow" : " fast");
                    whole.add(subscribe(broker, topic, capacity, recorder(name, ledger, SLOW[i], i)));
                }
            }
            // Holds its first callback until the publishers are done, so it lags behind the whole run of its topic
            // and everything published to it must be kept for it, while its neighbours move on.
            CountDownLatch gate = new CountDownLatch(1);
            RecordingSubscriber gatedRecorder = new RecordingSubscriber(TOPICS.get(0) + " dropOldest(" + HUGE
                    + ") gated", ledger) {
                @Override
                void onReceived(Message<Payload> message) {
                    try {
                        if (!gate.await(20, TimeUnit.SECONDS)) {
                            violation("gate never opened");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            whole.add(subscribe(broker, TOPICS.get(0), HUGE, gatedRecorder));
            for (Sub sub : whole) {
                assertEquals(0, sub.subscription.position().offset(), sub + ": subscribed before any publish");
            }

            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean publishing = new AtomicBoolean(true);
            List<Future<?>> publishers =
                    ledger.startPublishers(threads, broker, TOPICS, PUBLISHERS, PER_PUBLISHER, start);
            List<Future<?>> churners = new ArrayList<>();
            for (int c = 0; c < CHURNERS; c++) {
                int churner = c;
                churners.add(threads.submit(() -> {
                    Random random = new Random(100 + churner);
                    int[] capacities = {1, 3, 64, 1000, HUGE};
                    start.await();
                    int round = 0;
                    while (publishing.get()) {
                        String topic = TOPICS.get(random.nextInt(TOPICS.size()));
                        int capacity = capacities[random.nextInt(capacities.length)];
                        boolean slow = random.nextBoolean();
                        String name = "churn" + churner + "." + round + " " + topic + " dropOldest(" + capacity + ")"
                                + (slow ? " slow" : " fast");
                        Sub sub = subscribe(broker, topic, capacity, recorder(name, ledger, slow, round));
                        if (round % 10 == 3 && lateButStaying.size() < 2 * TOPICS.size()) {
                            // Opens mid-run and stays to the end: its ring position starts somewhere in the middle.
                            lateButStaying.add(sub);
                        } else {
                            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100 + random.nextInt(2_000)));
                            sub.beforeClose = newest(broker, topic);
                            sub.subscription.close();
                            sub.recorder.markCloseReturned();
                            sub.afterClose = newest(broker, topic);
                            sub.statsAtClose = sub.subscription.stats();
                            churned.add(sub);
                        }
                        round++;
                    }
                    return round;
                }));
            }
            // A monitoring thread: the broker's counters are counters, they never go down, not even for a moment.
            Future<Integer> monitor = threads.submit(() -> {
                start.await();
                BrokerStats previous = broker.stats();
                int reads = 1;
                while (publishing.get()) {
                    BrokerStats now = broker.stats();
                    reads++;
                    if (now.published() < previous.published() || now.delivered() < previous.delivered()
                            || now.dropped() < previous.dropped()) {
                        throw new AssertionError("broker counters went down: " + previous + " then " + now);
                    }
                    previous = now;
                }
                return reads;
            });
            start.countDown();
            for (Future<?> publisher : publishers) {
                publisher.get(30, TimeUnit.SECONDS);
            }
            publishing.set(false);
            gate.countDown();
            assertTrue(monitor.get(10, TimeUnit.SECONDS) > 1, "the monitor never read the counters twice");
            int rounds = 0;
            for (Future<?> churner : churners) {
                rounds += (Integer) churner.get(30, TimeUnit.SECONDS);
            }
            assertTrue(rounds > 0, "the churners never ran");

            long total = 0;
            for (String topic : TOPICS) {
                assertEquals(ledger.count(topic), ledger.assertGapless(topic));
                total += ledger.count(topic);
            }
            assertEquals((long) PUBLISHERS * PER_PUBLISHER, total);

            List<Sub> staying = new ArrayList<>(whole);
            staying.addAll(lateButStaying);
            for (Sub sub : staying) {
                long n = ledger.count(sub.topic);
                // The newest message of a topic is never dropped as oldest: nothing came after it. Unless the
                // subscription opened after it (churners open subscriptions until every publisher is done, and a
                // topic's last publish may come earlier): then there is nothing to receive.
                boolean expectsNewest = sub.subscription.position().offset() < n;
                await(sub + " to receive offset " + n + " and settle", Duration.ofSeconds(20), () -> {
                    SubscriptionStats s = sub.subscription.stats();
                    return (!expectsNewest || sub.recorder.lastOffset(sub.topic) == n) && s.pending() == 0
                            && s.delivered() == sub.recorder.received();
                });
            }
            await("the broker to have nothing pending", Duration.ofSeconds(5), () -> broker.stats().pending() == 0);

            long delivered = 0;
            long dropped = 0;
            boolean anyLapped = false;
            for (Sub sub : staying) {
                long n = ledger.count(sub.topic);
                long position = sub.subscription.position().offset();
                int capacity = sub.capacity == 0 ? DEFAULT_CAPACITY : sub.capacity;
                SubscriptionStats stats = sub.subscription.stats();
                List<Long> got = sub.recorder.offsets(sub.topic);
                String what = sub + " " + stats + " got " + describe(got);
                assertEquals(List.of(), sub.recorder.checkPayloads(), what);
                assertTrue(sub.subscription.isOpen(), what);
                assertEquals(0, stats.droppedNewest() + stats.droppedOnClose() + stats.errors() + stats.pending(),
                        what);
                assertEquals(got.size(), stats.delivered(), what + ": delivered counter vs callbacks");
                assertTrue(got.isEmpty() || got.get(0) > sub.before, what + ": a message from before subscribe");
                long offered = stats.delivered() + stats.droppedOldest();
                if (whole.contains(sub)) {
                    // Open before the first publish: offered exactly 1..n, and the holes are exactly the drops.
                    assertEquals(n, offered, what + ": delivered + droppedOldest == published to the topic");
                } else {
                    // Opened mid-run: offered everything after the position, maybe some just before it.
                    assertTrue(offered >= n - position && offered <= n - sub.before,
                            what + ": offered " + offered + " outside [" + (n - position) + ", " + (n - sub.before)
                                    + "]");
                }
                long firstOffered = n - offered + 1;
                long holes = (n - firstOffered + 1) - got.size();
                assertEquals(stats.droppedOldest(), holes, what + ": missing offsets == droppedOldest");
                assertTrue(got.isEmpty() || got.get(0) >= firstOffered, what + ": first offset before the offered");
                // A message is dropped as oldest only once `capacity` newer ones wait behind it.
                long keptFrom = Math.max(firstOffered, n - capacity + 1);
                int tail = (int) (n - keptFrom + 1);
                assertTrue(got.size() >= tail, what + ": fewer than the newest " + tail);
                assertRange(what + ": the newest " + capacity, got.subList(got.size() - tail, got.size()), keptFrom, n);
                if (capacity >= HUGE) {
                    assertEquals(0, stats.droppedOldest(), what + ": a queue larger than the run lost messages");
                    assertRange(what, got, firstOffered, n);
                }
                anyLapped |= stats.droppedOldest() > 0;
                delivered += stats.delivered();
                dropped += stats.dropped();
            }
            assertTrue(anyLapped, "no subscription was ever lapped: the test exercised nothing");

            for (Sub sub : churned) {
                SubscriptionStats stats = sub.subscription.stats();
                List<Long> got = sub.recorder.offsets(sub.topic);
                String what = sub + " closed between " + sub.beforeClose + " and " + sub.afterClose + " " + stats
                        + " got " + describe(got);
                assertEquals(List.of(), sub.recorder.checkPayloads(), what);
                assertFalse(sub.subscription.isOpen(), what);
                assertEquals(sub.statsAtClose, stats, what + ": counters moved after close() returned");
                assertEquals(got.size(), stats.delivered(), what + ": delivered counter vs callbacks");
                assertEquals(0, stats.pending() + stats.droppedNewest() + stats.errors(), what);
                assertTrue(got.isEmpty() || got.get(0) > sub.before, what + ": a message from before subscribe");
                assertTrue(got.isEmpty() || got.get(got.size() - 1) <= sub.afterClose,
                        what + ": a message from after close");
                long offered = stats.delivered() + stats.dropped();
                long position = sub.subscription.position().offset();
                assertTrue(offered >= sub.beforeClose - position && offered <= sub.afterClose - sub.before,
                        what + ": offered " + offered + " outside [" + (sub.beforeClose - position) + ", "
                                + (sub.afterClose - sub.before) + "]");
                delivered += stats.delivered();
                dropped += stats.dropped();
            }

            BrokerStats stats = broker.stats();
            assertEquals(total, stats.published(), stats.toString());
            assertEquals(0, stats.rejected(), stats.toString());
            assertEquals(0, stats.subscriberErrors(), stats.toString());
            assertEquals(0, stats.pending(), stats.toString());
            assertEquals(staying.size(), stats.subscriptions(), stats.toString());
            assertEquals(delivered, stats.delivered(), "broker delivered == sum over all subscriptions " + stats);
            assertEquals(dropped, stats.dropped(), "broker dropped == sum over all subscriptions " + stats);
        }
    }
}
