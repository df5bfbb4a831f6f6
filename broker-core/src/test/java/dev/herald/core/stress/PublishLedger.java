package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What the publishers of a stress test were told: for each topic, the payload accepted at each offset. The
 * publisher side of every end-to-end check.
 */
final class PublishLedger {
    private final Map<String, Map<Long, Payload>> accepted = new ConcurrentHashMap<>();

    /**
     * Starts publisher tasks: each waits for {@code start}, then publishes {@code perPublisher} payloads
     * {@code (publisher, i)} in order, to topics drawn from {@code topics} by a generator seeded with the
     * publisher's number: mostly one at a time through {@link #publish}, and one time in four a run of up to 64 to
     * one topic through {@link #publishAll}.
     *
     * @return the tasks, to wait for
     */
    List<Future<?>> startPublishers(ExecutorService threads, Broker<Payload> broker, List<String> topics,
                                    int publishers, int perPublisher, CountDownLatch start) {
        List<Future<?>> tasks = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            tasks.add(threads.submit(() -> {
                Random random = new Random(publisher);
                start.await();
                for (int i = 0; i < perPublisher; ) {
                    String topic = topics.get(random.nextInt(topics.size()));
                    if (random.nextInt(4) == 0) {
                        List<Payload> batch = new ArrayList<>();
                        // Mostly short batches; now and then one the engine hands over in several chunks.
                        int size = 1 + random.nextInt(random.nextInt(8) == 0 ? 300 : 64);
                        for (int n = size; n > 0 && i < perPublisher; n--) {
                            batch.add(new Payload(publisher, i++));
                        }
                        publishAll(broker, topic, batch);
                    } else {
                        publish(broker, topic, new Payload(publisher, i++));
                    }
                }
                return null;
            }));
        }
        return tasks;
    }

    /** Publishes and records the outcome; fails the test on any rejection or on an offset handed out twice. */
    PublishResult.Accepted publish(Broker<Payload> broker, String topic, Payload payload) {
        PublishResult result = broker.publish(topic, payload).toCompletableFuture().join();
        if (!(result instanceof PublishResult.Accepted ok)) {
            throw new AssertionError("publish of " + payload + " to " + topic + " refused: " + result);
        }
        record(topic, ok, payload);
        return ok;
    }

    /**
     * Publishes a batch and records each outcome, as {@link #publish} does; also fails unless the batch got
     * consecutive offsets and one timestamp, which the in-memory engine promises while no subscription blocks.
     */
    List<PublishResult.Accepted> publishAll(Broker<Payload> broker, String topic, List<Payload> payloads) {
        List<PublishResult> results = broker.publishAll(topic, payloads).toCompletableFuture().join();
        assertEquals(payloads.size(), results.size(), "one result per payload");
        List<PublishResult.Accepted> accepted = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (!(results.get(i) instanceof PublishResult.Accepted ok)) {
                throw new AssertionError(
                        "publish of " + payloads.get(i) + " to " + topic + " refused: " + results.get(i));
            }
            if (i > 0) {
                PublishResult.Accepted first = accepted.get(0);
                assertEquals(first.offset() + i, ok.offset(), "offsets of one batch on " + topic);
                assertEquals(first.timestamp(), ok.timestamp(), "timestamps of one batch on " + topic);
            }
            record(topic, ok, payloads.get(i));
            accepted.add(ok);
        }
        return accepted;
    }

    private void record(String topic, PublishResult.Accepted ok, Payload payload) {
        Payload previous = accepted.computeIfAbsent(topic, t -> new ConcurrentHashMap<>()).put(ok.offset(), payload);
        assertNull(previous, () -> "offset " + ok.offset() + " of " + topic + " assigned twice");
    }

    Payload payload(String topic, long offset) {
        Map<Long, Payload> byOffset = accepted.get(topic);
        return byOffset == null ? null : byOffset.get(offset);
    }

    long count(String topic) {
        Map<Long, Payload> byOffset = accepted.get(topic);
        return byOffset == null ? 0 : byOffset.size();
    }

    /** Checks that the accepted offsets of a topic are exactly 1..n, and returns n. */
    long assertGapless(String topic) {
        Map<Long, Payload> byOffset = accepted.getOrDefault(topic, Map.of());
        long n = byOffset.size();
        for (long offset = 1; offset <= n; offset++) {
            if (!byOffset.containsKey(offset)) {
                fail("offset " + offset + " of " + topic + " never handed out, but " + n + " publishes succeeded");
            }
        }
        return n;
    }

    /** Checks that {@code offsets} is exactly {@code first..last}, in order. */
    static void assertRange(String what, List<Long> offsets, long first, long last) {
        assertEquals(Math.max(0, last - first + 1), offsets.size(), () -> what + ": expected offsets " + first + ".."
                + last + " but got " + describe(offsets));
        for (int i = 0; i < offsets.size(); i++) {
            if (offsets.get(i) != first + i) {
                fail(what + ": expected offsets " + first + ".." + last + " but got " + describe(offsets));
            }
        }
    }

    /** Checks that {@code offsets} are strictly increasing with no holes. */
    static void assertContiguous(String what, List<Long> offsets) {
        if (!offsets.isEmpty()) {
            assertRange(what, offsets, offsets.get(0), offsets.get(offsets.size() - 1));
        }
    }

    static String describe(List<Long> offsets) {
        if (offsets.size() <= 20) {
            return offsets.toString();
        }
        StringBuilder holes = new StringBuilder();
        int shown = 0;
        for (int i = 1; i < offsets.size() && shown < 10; i++) {
            if (offsets.get(i) != offsets.get(i - 1) + 1) {
                holes.append(' ').append(offsets.get(i - 1)).append("->").append(offsets.get(i));
                shown++;
            }
        }
        return offsets.size() + " offsets " + offsets.get(0) + ".." + offsets.get(offsets.size() - 1)
                + (holes.length() > 0 ? ", jumps:" + holes : "");
    }

    /** Waits for a condition, polling, and fails with {@code what} if it does not hold within {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                assertTrue(condition.getAsBoolean(), () -> "timed out after " + timeout + " waiting for " + what);
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
