package dev.herald.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.Broker;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes on one Redis, publishers on both racing each other (single publishes and batches), subscribers on
 * both: every subscription is checked message by message against what the publishers were told. Subscriptions
 * made before publishing starts must see every offset of their topic exactly once, in order, with the payload
 * that was accepted at that offset; a reader that hops from node to node, resuming each time from the last
 * position it has, must join into exactly the topic; each publisher's messages appear in the order it sent them.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CrossNodeStressTest {
    private static final List<String> TOPICS = List.of("stress.a", "stress.b", "stress.c");
    private static final int PUBLISHERS_PER_NODE = 2;
    private static final int PER_PUBLISHER = 3_000;
    private static RedisServer redis;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final java.util.concurrent.atomic.AtomicInteger links = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void startRedis() {
        RedisAvailability.assumeRedisInstalled();
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    private static Broker<String> node(String name) {
        return Broker.<String>builder().history(HistoryPolicy.lastN(100_000))
                .engine(RedisEngine.builder(PayloadCodec.utf8()).uri(redis.uri()).keyPrefix("stress")
                        .nodeId(name).build())
                .build();
    }

    /** Records one subscription's messages; the broker calls it one message at a time. */
    private static final class Recorder implements Subscriber<String> {
        final List<Message<String>> messages = new ArrayList<>();

        @Override
        public synchronized void onMessage(Message<String> message) {
            messages.add(message);
        }

        synchronized List<Message<String>> snapshot() {
            return List.copyOf(messages);
        }

        synchronized long lastOffset(String topic) {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if (messages.get(i).topic().equals(topic)) {
                    return messages.get(i).offset();
                }
            }
            return 0;
        }
    }

    @Test
    void everySubscriptionOnEveryNodeSeesEveryMessageOnceInOrder() throws Exception {
        try (Broker<String> a = node("a"); Broker<String> b = node("b")) {
            List<Broker<String>> nodes = List.of(a, b);
            Map<String, Map<Long, String>> accepted = new ConcurrentHashMap<>();
            Map<String, String> epochs = new ConcurrentHashMap<>();
            for (String topic : TOPICS) {
                accepted.put(topic, new ConcurrentHashMap<>());
            }
            // Subscribed before anything is published: each must get offsets 1..n of its topic.
            List<Recorder> fromStart = new ArrayList<>();
            List<String> fromStartTopics = new ArrayList<>();
            for (Broker<String> node : nodes) {
                for (String topic : TOPICS) {
                    for (DeliveryPolicy policy : List.of(DeliveryPolicy.dropOldest(1 << 16), DeliveryPolicy.direct())) {
                        Recorder recorder = new Recorder();
                        node.subscribe(topic, SubscribeOptions.live().delivery(policy), recorder);
                        fromStart.add(recorder);
                        fromStartTopics.add(topic);
                    }
                }
            }
            Recorder[] patterns = {new Recorder(), new Recorder()};
            a.subscribe("stress.*", SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(1 << 16)), patterns[0]);
            b.subscribe("stress.>", SubscribeOptions.live().delivery(DeliveryPolicy.direct()), patterns[1]);

            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean publishing = new AtomicBoolean(true);
            List<Future<?>> publishers = new ArrayList<>();
            for (int n = 0; n < nodes.size(); n++) {
                for (int p = 0; p < PUBLISHERS_PER_NODE; p++) {
                    String publisher = "n" + n + "p" + p;
                    Broker<String> node = nodes.get(n);
                    Random random = new Random(publisher.hashCode());
                    publishers.add(threads.submit(() -> {
                        start.await();
                        for (int i = 0; i < PER_PUBLISHER; ) {
                            String topic = TOPICS.get(random.nextInt(TOPICS.size()));
                            List<String> batch = new ArrayList<>();
                            int size = random.nextInt(5) == 0 ? 1 + random.nextInt(40) : 1;
                            for (int k = 0; k < size && i < PER_PUBLISHER; k++) {
                                batch.add(publisher + ":" + i++);
                            }
                            List<PublishResult> results = batch.size() == 1
                                    ? List.of(node.publish(topic, batch.get(0)).toCompletableFuture().join())
                                    : node.publishAll(topic, batch).toCompletableFuture().join();
                            for (int k = 0; k < results.size(); k++) {
                                if (!(results.get(k) instanceof PublishResult.Accepted ok)) {
                                    throw new AssertionError("refused: " + results.get(k));
                                }
                                epochs.putIfAbsent(topic, ok.epoch());
                                String previous = accepted.get(topic).putIfAbsent(ok.offset(), batch.get(k));
                                if (previous != null) {
                                    throw new AssertionError(topic + "#" + ok.offset() + " given twice");
                                }
                            }
                        }
                        return null;
                    }));
                }
            }
            // A reader that hops between the nodes, resuming from its last position each time.
            Future<List<Long>> hopper = threads.submit(() -> hop(nodes, publishing, start));
            start.countDown();
            for (Future<?> publisher : publishers) {
                publisher.get(60, TimeUnit.SECONDS);
            }
            publishing.set(false);

            Map<String, Long> last = new ConcurrentHashMap<>();
            for (String topic : TOPICS) {
                Map<Long, String> offsets = accepted.get(topic);
                long n = offsets.size();
                for (long offset = 1; offset <= n; offset++) {
                    assertTrue(offsets.containsKey(offset), topic + ": offset " + offset + " was never given");
                }
                last.put(topic, n);
            }
            long total = last.values().stream().mapToLong(Long::longValue).sum();
            assertEquals(nodes.size() * PUBLISHERS_PER_NODE * PER_PUBLISHER, total, "every publish got an offset");

            for (int i = 0; i < fromStart.size(); i++) {
                String topic = fromStartTopics.get(i);
                Recorder recorder = fromStart.get(i);
                awaitOffset(recorder, topic, last.get(topic));
                checkRun("subscription " + i + " to " + topic, recorder.snapshot(), topic, 1, last.get(topic),
                        accepted);
            }
            for (Recorder pattern : patterns) {
                for (String topic : TOPICS) {
                    awaitOffset(pattern, topic, last.get(topic));
                    List<Message<String>> ofTopic = pattern.snapshot().stream()
                            .filter(m -> m.topic().equals(topic)).toList();
                    checkRun("pattern subscription on " + topic, ofTopic, topic, 1, last.get(topic), accepted);
                }
            }
            List<Long> hopped = hopper.get(60, TimeUnit.SECONDS);
            long n = last.get("stress.a");
            assertEquals(n, hopped.size(), "the hopping reader's chain holds every offset of stress.a");
            assertTrue(links.get() >= 10, "the reader hopped only " + links.get() + " times");
            for (int i = 0; i < hopped.size(); i++) {
                assertEquals(i + 1, hopped.get(i), "the hopping reader's chain at " + i);
            }
        }
    }

    /** Follows stress.a, moving to the other node every few dozen messages, until it has every message. */
    private List<Long> hop(List<Broker<String>> nodes, AtomicBoolean publishing, CountDownLatch start)
            throws Exception {
        start.await();
        Random random = new Random(7);
        List<Long> chain = new ArrayList<>();
        String epoch = "";
        int hops = 0;
        while (true) {
            Broker<String> node = nodes.get(hops++ % nodes.size());
            Recorder recorder = new Recorder();
            StreamPosition from = new StreamPosition(chain.isEmpty() ? 0 : chain.get(chain.size() - 1), epoch);
            Subscription subscription = node.subscribe("stress.a", SubscribeOptions.from(from), recorder);
            links.incrementAndGet();
            epoch = subscription.position().epoch();
            int stay = 20 + random.nextInt(200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (recorder.snapshot().size() < stay && System.nanoTime() < deadline && publishing.get()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            boolean done = !publishing.get();
            if (done) {
                // Publishing is over: this last link stays until it has the topic's last message.
                long end = node.topicStats("stress.a").orElseThrow().position().offset();
                long previous = chain.isEmpty() ? 0 : chain.get(chain.size() - 1);
                long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (Math.max(previous, recorder.lastOffset("stress.a")) < end && System.nanoTime() < settle) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
            }
            subscription.close();
            for (Message<String> m : recorder.snapshot()) {
                if (!chain.isEmpty() && m.offset() != chain.get(chain.size() - 1) + 1) {
                    fail("hop " + hops + " on node " + (hops - 1) % nodes.size() + " continued from "
                            + chain.get(chain.size() - 1) + " with " + m.offset());
                }
                chain.add(m.offset());
            }
            if (done) {
                return chain;
            }
        }
    }

    private static void awaitOffset(Recorder recorder, String topic, long offset) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (recorder.lastOffset(topic) < offset && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    /** The messages are exactly offsets {@code from..to} of the topic, with the accepted payloads. */
    private static void checkRun(String who, List<Message<String>> messages, String topic, long from, long to,
                                 Map<String, Map<Long, String>> accepted) {
        Map<String, Integer> lastSeqOfPublisher = new java.util.HashMap<>();
        long expected = from;
        for (Message<String> m : messages) {
            if (!m.topic().equals(topic)) {
                continue;
            }
            assertEquals(expected, m.offset(), who + ": gap or duplicate");
            assertEquals(accepted.get(topic).get(m.offset()), m.data(), who + ": payload at " + m.offset());
            String[] parts = m.data().split(":");
            int seq = Integer.parseInt(parts[1]);
            Integer previous = lastSeqOfPublisher.put(parts[0], seq);
            if (previous != null && previous >= seq) {
                fail(who + ": publisher " + parts[0] + " sent " + previous + " before " + seq);
            }
            expected++;
        }
        assertEquals(to + 1, expected, who + ": ends at the topic's last offset");
    }
}
