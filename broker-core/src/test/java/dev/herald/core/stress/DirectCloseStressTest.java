package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.Message;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Direct subscriptions open and close while publishers run: closed from another thread, from their own callback,
 * or by a neighbour's callback. Direct delivery on an exact topic takes no lock, and close waits for the topic's
 * dispatch in progress instead, so this is where "no callback after close() returns" (G5) could break. Every
 * subscription checks: no callback starts after close() returned, no two callbacks overlap, offsets strictly
 * increase with no hole, each payload is the one published at its offset; a subscription that closed itself gets
 * no message after that; and the subscriptions open for the whole run get every message exactly once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DirectCloseStressTest {
    private static final List<String> TOPICS = List.of("orders.eu", "orders.us", "billing.eu");
    private static final String PATTERN = "orders.*";
    private static final int PUBLISHERS = 3;
    private static final int CHURNERS = 2;
    private static final int ROUNDS = 1_000;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    @Test
    void exactDirectSubscriptionsClosedFromAnywhereGetNoCallbackAfterClose() throws Exception {
        run(List.copyOf(TOPICS));
    }

    @Test
    void patternAndExactDirectSubscriptionsClosedFromAnywhereGetNoCallbackAfterClose() throws Exception {
        List<String> filters = new ArrayList<>(TOPICS);
        filters.add(PATTERN);
        filters.add(PATTERN);
        run(filters);
    }

    /**
     * Two publishes to two topics are each inside a direct callback when each callback closes a subscription of the
     * other topic, one that is not being called. A close waits for the other topic's dispatch in progress; here
     * each dispatch waits for the other, and the broker must see the cycle and let the closes return.
     */
    @Test
    void callbacksOfTwoTopicsClosingSubscriptionsOfEachOthersTopicDoNotDeadlock() throws Exception {
        Broker<Payload> broker = Broker.<Payload>builder().build();
        SubscribeOptions direct = SubscribeOptions.live().delivery(DeliveryPolicy.direct());
        Subscription victimOfA = broker.subscribe("orders.eu", direct, m -> { });
        Subscription victimOfB = broker.subscribe("orders.us", direct, m -> { });
        CyclicBarrier bothInCallbacks = new CyclicBarrier(2);
        CountDownLatch closed = new CountDownLatch(2);
        broker.subscribe("orders.eu", direct, m -> {
            awaitQuietly(bothInCallbacks);
            victimOfB.close();
            closed.countDown();
        });
        broker.subscribe("orders.us", direct, m -> {
            awaitQuietly(bothInCallbacks);
            victimOfA.close();
            closed.countDown();
        });
        for (String topic : List.of("orders.eu", "orders.us")) {
            // Daemon threads: if the closes deadlock, they spin for good and must not keep the JVM alive.
            Thread publisher = new Thread(() -> broker.publish(topic, new Payload(0, 0)));
            publisher.setDaemon(true);
            publisher.start();
        }
        boolean bothClosed = closed.await(5, TimeUnit.SECONDS);
        if (bothClosed) {
            // Not after a deadlock: closing the broker would wait for the stuck dispatches too.
            broker.close();
        }
        assertTrue(bothClosed, "the two closes from callbacks wait for each other");
        assertFalse(victimOfA.isOpen());
        assertFalse(victimOfB.isOpen());
    }

    private static void awaitQuietly(CyclicBarrier barrier) {
        try {
            barrier.await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the other callback never came", e);
        }
    }

    /** How a short-lived subscription ends. */
    private enum Ending {
        /** Its churner closes it after a while. */
        FROM_OUTSIDE,
        /** It closes itself from its callback after a few messages; its churner closes it again later. */
        ITSELF,
        /** A neighbour's callback closes it (the churner closes both later). */
        BY_NEIGHBOUR
    }

    /** A short-lived subscription that also knows whether, and when, it closed itself from its callback. */
    private static final class Churned extends RecordingSubscriber {
        final AtomicReference<Subscription> self = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        final String filter;
        final int closeAfter;
        final Ending ending;
        /** Set by the callback that closes this subscription (its own, or a neighbour's). */
        volatile Churned victim;
        volatile boolean closedItself;
        volatile boolean closedByNeighbour;
        volatile long receivedWhenClosed = -1;
        private int batchEndsAfterClose;
        private int messages;

        Churned(String name, PublishLedger ledger, String filter, int closeAfter, Ending ending) {
            super(name, ledger);
            this.filter = filter;
            this.closeAfter = closeAfter;
            this.ending = ending;
        }

        @Override
        public void onMessage(Message<Payload> message) {
            if (closedItself) {
                violation("onMessage(" + message.topic() + ":" + message.offset() + ") after it closed itself");
            }
            super.onMessage(message);
        }

        @Override
        public void onBatchEnd() {
            // The batch that closed the subscription may end; nothing else may follow.
            if (closedItself && ++batchEndsAfterClose > 1) {
                violation("onBatchEnd after it closed itself and ended that batch");
            }
            super.onBatchEnd();
        }

        @Override
        void onReceived(Message<Payload> message) {
            if (++messages != closeAfter) {
                return;
            }
            if (ending == Ending.ITSELF) {
                Subscription subscription = self.get();
                if (subscription != null) {
                    receivedWhenClosed = received();
                    closedItself = true;
                    subscription.close();
                    if (subscription.isOpen()) {
                        violation("still open after closing itself");
                    }
                }
            } else if (victim != null) {
                Churned other = victim;
                Subscription subscription = other.self.get();
                if (subscription != null) {
                    subscription.close();
                    other.markCloseReturned();
                    other.closedByNeighbour = true;
                    other.done.countDown();
                }
            }
            done.countDown();
        }
    }

    private void run(List<String> filters) throws Exception {
        try (Broker<Payload> broker = Broker.<Payload>builder().history(HistoryPolicy.lastN(16)).build()) {
            PublishLedger ledger = new PublishLedger();
            List<RecordingSubscriber> whole = new ArrayList<>();
            List<Subscription> wholeSubscriptions = new ArrayList<>();
            for (String filter : filters) {
                RecordingSubscriber recorder = new RecordingSubscriber("whole run " + filter, ledger);
                whole.add(recorder);
                wholeSubscriptions.add(broker.subscribe(filter, SubscribeOptions.live()
                        .delivery(DeliveryPolicy.direct()), recorder));
            }
            for (Subscription subscription : wholeSubscriptions) {
                assertEquals(0, subscription.position().offset(), subscription + ": subscribed before any publish");
            }

            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch churnersDone = new CountDownLatch(CHURNERS);
            List<Future<?>> publishers = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int publisher = p;
                publishers.add(threads.submit(() -> {
                    Random random = new Random(publisher);
                    start.await();
                    for (long i = 0; churnersDone.getCount() > 0; i++) {
                        ledger.publish(broker, TOPICS.get(random.nextInt(TOPICS.size())), new Payload(publisher, i));
                        if (i % 64 == 0) {
                            LockSupport.parkNanos(10_000);
                        }
                    }
                    return null;
                }));
            }
            List<Future<List<Churned>>> churners = new ArrayList<>();
            for (int c = 0; c < CHURNERS; c++) {
                int churner = c;
                churners.add(threads.submit(() -> {
                    try {
                        start.await();
                        return churn(broker, ledger, filters, new Random(1_000 + churner), "churner" + churner);
                    } finally {
                        churnersDone.countDown();
                    }
                }));
            }
            start.countDown();
            List<Churned> churned = new ArrayList<>();
            for (Future<List<Churned>> churner : churners) {
                churned.addAll(churner.get(40, TimeUnit.SECONDS));
            }
            for (Future<?> publisher : publishers) {
                publisher.get(10, TimeUnit.SECONDS);
            }

            List<String> violations = new ArrayList<>();
            long received = 0;
            int closedThemselves = 0;
            int closedByNeighbours = 0;
            for (Churned recorder : churned) {
                violations.addAll(recorder.checkPayloads());
                received += recorder.received();
                if (recorder.closedItself) {
                    closedThemselves++;
                    if (recorder.received() != recorder.receivedWhenClosed) {
                        violations.add(recorder + ": closed itself after " + recorder.receivedWhenClosed
                                + " messages but received " + recorder.received());
                    }
                }
                if (recorder.closedByNeighbour) {
                    closedByNeighbours++;
                }
                for (Map.Entry<String, List<Long>> entry : recorder.allOffsets().entrySet()) {
                    if (!Topics.matches(recorder.filter, entry.getKey())) {
                        violations.add(recorder + " got a message of " + entry.getKey());
                    }
                    checkContiguous(recorder + " on " + entry.getKey(), entry.getValue(), violations);
                }
            }
            for (RecordingSubscriber recorder : whole) {
                violations.addAll(recorder.checkPayloads());
            }
            assertEquals(List.of(), violations.subList(0, Math.min(30, violations.size())),
                    violations.size() + " violations, the first ones");

            for (int i = 0; i < filters.size(); i++) {
                String filter = filters.get(i);
                RecordingSubscriber recorder = whole.get(i);
                for (String topic : TOPICS) {
                    if (!Topics.matches(filter, topic)) {
                        assertEquals(List.of(), recorder.offsets(topic), recorder + " got " + topic);
                        continue;
                    }
                    long published = ledger.assertGapless(topic);
                    // Subscribed before the first publish: every message of the topic, once, in order.
                    PublishLedger.assertRange(recorder + " on " + topic, recorder.offsets(topic), 1, published);
                }
                assertTrue(wholeSubscriptions.get(i).isOpen(), recorder + " was closed");
                wholeSubscriptions.get(i).close();
            }
            long allReceived = received;
            for (RecordingSubscriber recorder : whole) {
                allReceived += recorder.received();
            }
            // Every callback counts, also those of subscriptions that closed themselves in the middle of a delivery.
            assertEquals(allReceived, broker.stats().delivered(), "the broker's delivered count");
            assertTrue(received > ROUNDS, "only " + received + " messages reached " + churned.size()
                    + " short-lived subscriptions: the churn hardly overlapped publishing");
            assertTrue(closedThemselves > ROUNDS / 10, "only " + closedThemselves + " subscriptions closed themselves");
            System.out.printf("DirectCloseStress %s: %d short-lived subscriptions, %d messages to them, %d closed "
                            + "themselves, %d closed by a neighbour; %s published%n", filters, churned.size(),
                    received, closedThemselves, closedByNeighbours,
                    TOPICS.stream().map(t -> t + "=" + ledger.count(t)).toList());
        }
    }

    private static void checkContiguous(String what, List<Long> offsets, List<String> violations) {
        for (int i = 1; i < offsets.size(); i++) {
            if (offsets.get(i) != offsets.get(i - 1) + 1) {
                violations.add(what + ": " + PublishLedger.describe(offsets));
                return;
            }
        }
    }

    private static List<Churned> churn(Broker<Payload> broker, PublishLedger ledger, List<String> filters,
                                       Random random, String name) throws InterruptedException {
        List<Churned> all = new ArrayList<>();
        AtomicInteger names = new AtomicInteger();
        for (int round = 0; round < ROUNDS; round++) {
            Ending ending = Ending.values()[random.nextInt(Ending.values().length)];
            String filter = filters.get(random.nextInt(filters.size()));
            int closeAfter = 1 + random.nextInt(20);
            Churned first = subscribe(broker, ledger, filter, closeAfter, ending, name, names);
            List<Churned> opened = new ArrayList<>(List.of(first));
            if (ending == Ending.BY_NEIGHBOUR) {
                // The victim never closes anything itself, so no close waits in a cycle. An exact closer picks a
                // victim on its own topic: its callback runs inside that topic's dispatch. A pattern closer's
                // callback runs outside any exact dispatch, so it may close a victim on any topic.
                String victimFilter = Topics.isPattern(filter) ? filters.get(random.nextInt(filters.size())) : filter;
                Churned victim = subscribe(broker, ledger, victimFilter, Integer.MAX_VALUE, Ending.FROM_OUTSIDE, name,
                        names);
                first.victim = victim;
                opened.add(victim);
            }
            if (ending == Ending.FROM_OUTSIDE) {
                LockSupport.parkNanos(random.nextInt(1_000_000));
            } else {
                first.done.await(50, TimeUnit.MILLISECONDS);
            }
            for (Churned recorder : opened) {
                Subscription subscription = recorder.self.get();
                subscription.close();
                recorder.markCloseReturned();
                assertFalse(subscription.isOpen(), recorder.toString());
                all.add(recorder);
            }
        }
        return all;
    }

    private static Churned subscribe(Broker<Payload> broker, PublishLedger ledger, String filter, int closeAfter,
                                     Ending ending, String churner, AtomicInteger names) {
        String name = churner + " #" + names.incrementAndGet() + " " + filter + " " + ending + "@" + closeAfter;
        Churned recorder = new Churned(name, ledger, filter, closeAfter, ending);
        Subscription subscription = broker.subscribe(filter, SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                recorder);
        recorder.self.set(subscription);
        return recorder;
    }
}
