package dev.herald.bench.core;

import java.util.concurrent.TimeUnit;
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
 * Latency of one message, from the call to publish until every subscriber of its topic has it. One message per
 * operation on an otherwise idle system, so queued variants pay for waking their delivery thread each time.
 * Same variants as {@link FanOutBenchmark}; one topic with 1, 4 or 64 subscribers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LatencyBenchmark {
    private static final Object PAYLOAD = "payload-of-some-bytes";

    /** Subscribers of the one topic. */
    @Param({"1", "4", "64"})
    public int subscribers;

    /** Which delivery mechanism; see {@link FanOut#create}. */
    @Param({"plainLoop", "submissionPublisher", "heraldQueued", "heraldDirect"})
    public String variant;

    private Counter[] counters;
    private FanOut fanOut;
    private long expected;

    /** Builds the subscribers and the variant. */
    @Setup(Level.Trial)
    public void setUp() {
        counters = Counter.create(subscribers);
        fanOut = FanOut.create(variant, new Counter[][] {counters});
        expected = 0;
    }

    /** Checks that every subscriber got exactly what was published, then stops the variant. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            Counter.verifyExactly(counters, expected, variant + " x" + subscribers);
        } finally {
            fanOut.close();
        }
    }

    /** Publishes one message and waits until every subscriber has it. */
    @Benchmark
    public void publishToAll() {
        fanOut.publish(0, PAYLOAD);
        Counter.awaitAll(counters, ++expected, fanOut);
    }
}
