package dev.herald.bench.core;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Fan-out throughput: one publisher thread publishes a batch of {@value #BATCH} messages, round-robin over the
 * topics of the shape, then waits until every subscriber has received every message. The primary score is
 * batches per second; the {@code delivered} secondary score is subscriber deliveries per second (one message
 * to 64 subscribers counts 64).
 *
 * <p>Shapes are {@code topics x subscribersPerTopic}. Variants: {@code plainLoop} (the floor),
 * {@code submissionPublisher} (JDK, one executor thread), {@code heraldQueued} (dropOldest(1024), the broker's
 * default executor) and {@code heraldDirect}, each publishing message by message. {@code heraldQueuedBatch} and
 * {@code heraldDirectBatch} are the same two brokers, but the batch goes out through
 * {@link dev.herald.core.Broker#publishAll}, one call per topic; the JDK variants have no batch API. At the end of
 * each trial every subscriber must hold exactly the messages published to its topic, and Herald must report nothing
 * rejected or dropped.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FanOutBenchmark {
    /** Messages published per benchmark operation. */
    public static final int BATCH = 1000;
    private static final Object PAYLOAD = "payload-of-some-bytes";

    /** Topics x subscribers per topic. */
    @Param({"1x1", "1x4", "1x64", "1000x1"})
    public String shape;

    /** Which delivery mechanism; see {@link FanOut#create}. */
    @Param({"plainLoop", "submissionPublisher", "heraldQueued", "heraldDirect", "heraldQueuedBatch",
            "heraldDirectBatch"})
    public String variant;

    private int topics;
    private int subscribersPerTopic;
    private Counter[] counters;
    private FanOut fanOut;
    /** Whether the variant publishes each topic's share of a batch in one call. */
    private boolean batched;
    /** One topic's share of a batch, for the batched variants. */
    private List<Object> topicShare;
    /** Messages each subscriber must have received once the current operation is done. */
    private long expectedPerSubscriber;

    /** Deliveries made, reported by JMH as a rate next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Delivered {
        /** Subscriber deliveries in this iteration. */
        public long delivered;

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            delivered = 0;
        }
    }

    /** Builds the topics, subscribers and the variant. */
    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        topics = Integer.parseInt(parts[0]);
        subscribersPerTopic = Integer.parseInt(parts[1]);
        if (BATCH % topics != 0) {
            throw new IllegalArgumentException("the batch must spread evenly over " + topics + " topics");
        }
        counters = Counter.create(topics * subscribersPerTopic);
        Counter[][] byTopic = new Counter[topics][subscribersPerTopic];
        for (int i = 0; i < counters.length; i++) {
            byTopic[i / subscribersPerTopic][i % subscribersPerTopic] = counters[i];
        }
        fanOut = FanOut.create(variant, byTopic);
        batched = variant.endsWith("Batch");
        topicShare = Collections.nCopies(BATCH / topics, PAYLOAD);
        expectedPerSubscriber = 0;
    }

    /** Checks that every subscriber got exactly what was published to it, then stops the variant. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            Counter.verifyExactly(counters, expectedPerSubscriber, variant + " " + shape);
        } finally {
            fanOut.close();
        }
    }

    /**
     * Publishes one batch and waits until it has reached every subscriber.
     *
     * @param delivered the deliveries counter
     */
    @Benchmark
    public void fanOut(Delivered delivered) {
        FanOut target = fanOut;
        int topicCount = topics;
        if (batched) {
            for (int topic = 0; topic < topicCount; topic++) {
                target.publishAll(topic, topicShare);
            }
        } else {
            for (int i = 0; i < BATCH; i++) {
                target.publish(i % topicCount, PAYLOAD);
            }
        }
        expectedPerSubscriber += BATCH / topicCount;
        Counter.awaitAll(counters, expectedPerSubscriber, target);
        delivered.delivered += (long) BATCH * subscribersPerTopic;
    }
}
