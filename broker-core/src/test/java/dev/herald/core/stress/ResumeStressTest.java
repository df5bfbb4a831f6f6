package dev.herald.core.stress;

import static dev.herald.core.stress.PublishLedger.assertRange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.ForwardingEngine;
import dev.herald.core.PublishResult;
import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import dev.herald.core.Message;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Resume ({@code SubscribeOptions.from(position)}) racing concurrent publishes. A reader follows a topic through
 * a chain of short subscriptions, each resumed from the last offset the previous one delivered and closed at a
 * random moment (from its own callback or from outside). Joined, the chain must be exactly the topic: no gap and
 * no duplicate at any seam.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResumeStressTest {
    private static final String TOPIC = "feed.main";
    private static final int PUBLISHERS = 3;
    /** Each publisher's cap; history keeps all of them, so every resume lies inside retained history. */
    private static final int MAX_PER_PUBLISHER = 30_000;
    /** Publishing goes on until every reader has made this many links (or a publisher hits its cap). */
    private static final int LINKS = 150;
    private static final int READERS = 2;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    /** The links of one reader's chain, and what each link saw at its seam. */
    private static final class Chain {
        final List<Long> offsets = new ArrayList<>();
        final List<RecordingSubscriber> recorders = new ArrayList<>();
        int links;
        int closedFromCallback;

        long last() {
            return offsets.isEmpty() ? 0 : offsets.get(offsets.size() - 1);
        }
    }

    @Test
    void chainOfResumedSubscriptionsSeesEveryOffsetExactlyOnce() throws Exception {
        PublishLedger ledger = new PublishLedger();
        try (Broker<Payload> broker = Broker.<Payload>builder().history(HistoryPolicy.lastN(100_000)).build()) {
            String epoch = ledger.publish(broker, TOPIC, new Payload(-1, 0)).epoch();
            AtomicBoolean publishing = new AtomicBoolean(true);
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch readersDone = new CountDownLatch(READERS);
            List<Future<?>> publishers = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int publisher = p;
                publishers.add(threads.submit(() -> {
                    start.await();
                    // Paced, so publishing overlaps many links whatever the machine's speed.
                    for (int i = 0; i < MAX_PER_PUBLISHER && readersDone.getCount() > 0; i++) {
                        ledger.publish(broker, TOPIC, new Payload(publisher, i));
                        if (i % 4 == 0) {
                            LockSupport.parkNanos(50_000);
                        }
                    }
                    return null;
                }));
            }
            List<Future<Chain>> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                long seed = r;
                readers.add(threads.submit(() -> {
                    start.await();
                    return follow(broker, ledger, epoch, publishing, readersDone, new Random(seed), "reader" + seed);
                }));
            }
            start.countDown();
            for (Future<?> publisher : publishers) {
                publisher.get(30, TimeUnit.SECONDS);
            }
            publishing.set(false);
            long n = ledger.assertGapless(TOPIC);
            for (Future<Chain> reader : readers) {
                Chain chain = reader.get(30, TimeUnit.SECONDS);
                assertRange("joined chain of " + chain.links + " subscriptions", chain.offsets, 1, n);
                for (RecordingSubscriber recorder : chain.recorders) {
                    assertEquals(List.of(), recorder.checkPayloads());
                }
                assertTrue(chain.links >= LINKS, "only " + chain.links + " links");
                assertTrue(chain.closedFromCallback > 0, "no link closed itself from its callback");
            }
        }
    }

    /** Follows the topic link by link until publishing is over and the chain holds every offset. */
    private static Chain follow(Broker<Payload> broker, PublishLedger ledger, String epoch, AtomicBoolean publishing,
                                CountDownLatch readersDone, Random random, String name) throws InterruptedException {
        Chain chain = new Chain();
        while (publishing.get() || chain.last() < ledger.count(TOPIC)) {
            if (chain.links == LINKS) {
                readersDone.countDown();
            }
            long from = chain.last();
            int want = 1 + random.nextInt(300);
            boolean closeInCallback = random.nextBoolean();
            DeliveryPolicy policy = switch (random.nextInt(3)) {
                case 0 -> DeliveryPolicy.direct();
                case 1 -> DeliveryPolicy.dropOldest(1 << 20);
                default -> DeliveryPolicy.dropNewest(1 << 20);
            };
            CountDownLatch enough = new CountDownLatch(1);
            AtomicReference<Subscription> self = new AtomicReference<>();
            int link = chain.links++;
            RecordingSubscriber recorder = new RecordingSubscriber(name + " link " + link + " " + policy, ledger) {
                private int received;

                @Override
                void onReceived(Message<Payload> message) {
                    chain.offsets.add(message.offset());
                    if (++received >= want) {
                        Subscription subscription = self.get();
                        if (closeInCallback && subscription != null) {
                            subscription.close();
                            chain.closedFromCallback++;
                        }
                        enough.countDown();
                    }
                }
            };
            Subscription subscription = broker.subscribe(TOPIC,
                    SubscribeOptions.from(new StreamPosition(from, epoch)).delivery(policy), recorder);
            self.set(subscription);
            chain.recorders.add(recorder);
            assertTrue(subscription.recovered(), name + " link " + link + " from " + from + " not recovered");
            assertEquals(epoch, subscription.position().epoch());
            enough.await(random.nextInt(20), TimeUnit.MILLISECONDS);
            subscription.close();
            recorder.markCloseReturned();
            assertFalse(subscription.isOpen());
            assertEquals(List.of(), recorder.violations());
            List<Long> got = recorder.offsets(TOPIC);
            if (!got.isEmpty()) {
                assertEquals(from + 1, got.get(0), name + " link " + link + ": seam after " + from);
            }
        }
        return chain;
    }

    @Test
    void resumeFromEvictedHistoryReportsTheGapAndDeliversWhatIsRetained() throws Exception {
        PublishLedger ledger = new PublishLedger();
        try (Broker<Payload> broker = Broker.<Payload>builder().history(HistoryPolicy.lastN(64)).build()) {
            String epoch = ledger.publish(broker, TOPIC, new Payload(-1, 0)).epoch();
            AtomicBoolean publishing = new AtomicBoolean(true);
            Future<?> publisher = threads.submit(() -> {
                for (int i = 0; i < 20_000 && publishing.get(); i++) {
                    ledger.publish(broker, TOPIC, new Payload(0, i));
                }
                return null;
            });
            Random random = new Random(7);
            List<RecordingSubscriber> recorders = new ArrayList<>();
            long last = 0;
            int gaps = 0;
            int seamless = 0;
            for (int link = 0; link < 60; link++) {
                if (link % 3 == 0) {
                    // Fall far behind on purpose: more than the retained 64 messages go by.
                    for (int i = 0; i < 100; i++) {
                        ledger.publish(broker, TOPIC, new Payload(1, link * 100L + i));
                    }
                }
                RecordingSubscriber recorder = new RecordingSubscriber("link " + link, ledger);
                DeliveryPolicy policy = random.nextBoolean() ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(1 << 20);
                // At most this many were sequenced before the subscribe began; later ones must all arrive.
                long publishedBefore = ledger.count(TOPIC);
                Subscription subscription = broker.subscribe(TOPIC,
                        SubscribeOptions.from(new StreamPosition(last, epoch)).delivery(policy), recorder);
                long mine = ledger.publish(broker, TOPIC, new Payload(2, link)).offset();
                PublishLedger.await("link " + link + " to receive offset " + mine, java.time.Duration.ofSeconds(10),
                        () -> recorder.lastOffset(TOPIC) >= mine);
                subscription.close();
                recorder.markCloseReturned();
                List<Long> got = recorder.offsets(TOPIC);
                PublishLedger.assertContiguous("link " + link, got);
                if (subscription.recovered()) {
                    assertEquals(last + 1, got.get(0), "link " + link + " recovered, yet its first offset is not "
                            + "the one after " + last);
                    seamless++;
                } else {
                    assertTrue(got.get(0) > last + 1, "link " + link + " not recovered, yet it starts at "
                            + got.get(0) + " right after " + last);
                    // It got what the read still retained (at most the history bound) and every message
                    // published once it asked to subscribe, even those evicted by the time the read was answered.
                    long firstExpected = Math.min(publishedBefore + 1, subscription.position().offset() - 63);
                    assertTrue(got.get(0) >= firstExpected, "link " + link + " starts at " + got.get(0)
                            + " though only 64 messages were retained up to " + subscription.position().offset()
                            + " and at least " + publishedBefore + " were published before it subscribed");
                    gaps++;
                }
                assertEquals(List.of(), recorder.violations());
                recorders.add(recorder);
                last = got.get(got.size() - 1);
            }
            publishing.set(false);
            publisher.get(30, TimeUnit.SECONDS);
            for (RecordingSubscriber recorder : recorders) {
                assertEquals(List.of(), recorder.checkPayloads());
            }
            assertTrue(gaps >= 20, gaps + " links saw a gap, though 20 fell behind by more than the history");
            assertTrue(seamless > 0, "no link resumed without a gap");
        }
    }

    @Test
    void replayOfTheLastNThenLiveHasNoGapOrDuplicateWhilePublishersRace() throws Exception {
        PublishLedger ledger = new PublishLedger();
        try (Broker<Payload> broker = Broker.<Payload>builder().history(HistoryPolicy.lastN(100_000)).build()) {
            ledger.publish(broker, TOPIC, new Payload(-1, 0));
            AtomicBoolean publishing = new AtomicBoolean(true);
            List<Future<?>> publishers = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                int publisher = p;
                publishers.add(threads.submit(() -> {
                    for (int i = 0; i < MAX_PER_PUBLISHER && publishing.get(); i++) {
                        ledger.publish(broker, TOPIC, new Payload(publisher, i));
                        if (i % 4 == 0) {
                            LockSupport.parkNanos(50_000);
                        }
                    }
                    return null;
                }));
            }
            PublishLedger.await("publishers to get going", java.time.Duration.ofSeconds(10),
                    () -> ledger.count(TOPIC) > 200);
            long atStart = ledger.count(TOPIC);
            Random random = new Random(11);
            List<RecordingSubscriber> recorders = new ArrayList<>();
            for (int round = 0; round < 200; round++) {
                int n = 1 + random.nextInt(50);
                DeliveryPolicy policy = random.nextBoolean() ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(1 << 20);
                RecordingSubscriber recorder = new RecordingSubscriber("last(" + n + ") round " + round, ledger);
                long before = broker.topicStats(TOPIC).orElseThrow().position().offset();
                Subscription subscription = broker.subscribe(TOPIC, SubscribeOptions.last(n).delivery(policy),
                        recorder);
                long at = subscription.position().offset();
                PublishLedger.await(recorder + " to get its replay", java.time.Duration.ofSeconds(10),
                        () -> recorder.lastOffset(TOPIC) >= at);
                subscription.close();
                recorder.markCloseReturned();
                assertTrue(subscription.recovered(), recorder.toString());
                List<Long> got = recorder.offsets(TOPIC);
                PublishLedger.assertContiguous(recorder.toString(), got);
                // The last n at the read, and before them any message published since the call started: those
                // are live messages, and the subscribe contract delivers every one of them.
                long lastN = Math.max(1, at - n + 1);
                long first = got.get(0);
                assertTrue(first <= lastN && first >= Math.min(lastN, before + 1), recorder + ": the topic stood at "
                        + before + " before subscribe and " + at + " at the read, yet delivery starts at " + first);
                assertEquals(List.of(), recorder.violations());
                recorders.add(recorder);
            }
            assertTrue(ledger.count(TOPIC) > atStart, "no publish overlapped the rounds");
            publishing.set(false);
            for (Future<?> publisher : publishers) {
                publisher.get(30, TimeUnit.SECONDS);
            }
            for (RecordingSubscriber recorder : recorders) {
                assertEquals(List.of(), recorder.checkPayloads());
            }
        }
    }

    @Test
    void liveMessageArrivingLateAtOrBelowTheResumePositionIsNotDeliveredAgain() {
        // A distributed engine may hand a message to this node's listener after a client learnt its offset some
        // other way (from the publish result, or from a subscription on another node) and resumed from it.
        for (DeliveryPolicy policy : List.of(DeliveryPolicy.direct(), DeliveryPolicy.dropOldest(100))) {
            LateEngine<String> engine = new LateEngine<>();
            try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                    .history(HistoryPolicy.lastN(100)).engine(context -> engine.wrap(new InMemoryEngine<>(context)))
                    .build()) {
                broker.publish(TOPIC, "1");
                engine.holding = true;
                PublishResult.Accepted second =
                        (PublishResult.Accepted) broker.publish(TOPIC, "2").toCompletableFuture().join();
                List<Long> got = new ArrayList<>();
                Subscription resumed = broker.subscribe(TOPIC,
                        SubscribeOptions.from(second.position()).delivery(policy), m -> got.add(m.offset()));
                assertTrue(resumed.recovered());
                engine.release();
                broker.publish(TOPIC, "3");
                assertEquals(List.of(3L), got, policy + ": resumed after offset 2");
                assertEquals(1, resumed.stats().delivered(), policy.toString());
            }
        }
    }

    /** Wraps the in-memory engine; while {@code holding}, the listener gets sequenced messages only on release. */
    private static final class LateEngine<T> extends ForwardingEngine<T> {
        volatile boolean holding;
        private final List<Message<T>> held = new ArrayList<>();
        private Engine<T> delegate;
        private EngineListener<T> listener;

        @Override
        protected Engine<T> delegate() {
            return delegate;
        }

        Engine<T> wrap(Engine<T> engine) {
            this.delegate = engine;
            return this;
        }

        synchronized void release() {
            holding = false;
            held.forEach(listener::onMessage);
            held.clear();
        }

        @Override
        public void start(EngineListener<T> listener) {
            this.listener = listener;
            delegate.start(new EngineListener<>() {
                @Override
                public void onMessage(Message<T> message) {
                    synchronized (LateEngine.this) {
                        if (holding) {
                            held.add(message);
                            return;
                        }
                    }
                    listener.onMessage(message);
                }

                @Override
                public boolean hasSubscribers(String topic) {
                    return listener.hasSubscribers(topic);
                }
            });
        }







    }
}
