package dev.herald.bench.core;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * Routing cost: the time of one publish to {@value #TOPIC}, which has one direct subscriber, with no other
 * subscription in the broker versus 100,000 exact subscriptions to other topics and 10,000 patterns that do
 * not match it. Direct delivery keeps the measurement on the publishing thread: sequencing, routing, the call.
 * Sampled, so the median stays readable on a machine shared with other work; the mean is reported as well.
 *
 * <p>The patterns share segments with the topic, so the wildcard trie is really walked:
 * {@code orders.p<i>.>}, {@code *.eu.p<i>}, {@code orders.*.p<i>} and {@code r<i>.*.created}, 2,500 of each.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {
    static final String TOPIC = "orders.eu.created";
    private static final Object PAYLOAD = "payload-of-some-bytes";
    private static final int EXACT = 100_000;
    private static final int PATTERNS_PER_FAMILY = 2_500;

    /** Unrelated subscriptions present while publishing; the two partial sets show where the cost comes from. */
    @Param({"none", "100kExact", "10kPatterns", "100kExact+10kPatterns"})
    public String background;

    private Broker<Object> broker;
    private final Counter counter = new Counter();
    private final AtomicLong misrouted = new AtomicLong();
    private final List<Subscription> exactBackground = new ArrayList<>();
    private final List<Subscription> patternBackground = new ArrayList<>();
    private long published;

    /** Builds the broker, the measured subscription and the background. */
    @Setup(Level.Trial)
    public void setUp() {
        broker = Broker.<Object>builder().build();
        broker.subscribe(TOPIC, SubscribeOptions.live().delivery(DeliveryPolicy.direct()), m -> counter.increment());
        boolean exact;
        boolean patterns;
        switch (background) {
            case "none" -> {
                exact = false;
                patterns = false;
            }
            case "100kExact" -> {
                exact = true;
                patterns = false;
            }
            case "10kPatterns" -> {
                exact = false;
                patterns = true;
            }
            case "100kExact+10kPatterns" -> {
                exact = true;
                patterns = true;
            }
            default -> throw new IllegalArgumentException("unknown background " + background);
        }
        for (int i = 0; exact && i < EXACT; i++) {
            exactBackground.add(broker.subscribe("orders.eu.e" + i, m -> misrouted.incrementAndGet()));
        }
        for (String pattern : patterns ? patterns() : List.<String>of()) {
            if (Topics.matches(pattern, TOPIC)) {
                throw new IllegalStateException(pattern + " matches " + TOPIC);
            }
            patternBackground.add(broker.subscribe(pattern, m -> misrouted.incrementAndGet()));
        }
    }

    private static List<String> patterns() {
        List<String> patterns = new ArrayList<>(4 * PATTERNS_PER_FAMILY);
        for (int i = 0; i < PATTERNS_PER_FAMILY; i++) {
            patterns.add("orders.p" + i + ".>");
            patterns.add("*.eu.p" + i);
            patterns.add("orders.*.p" + i);
            patterns.add("r" + i + ".*.created");
        }
        return patterns;
    }

    /** Checks the subscriber got every message and nobody else got any, then closes the broker. */
    @TearDown(Level.Trial)
    public void tearDown() {
        BrokerStats stats = broker.stats();
        // Exact subscriptions first: closing a pattern visits the topics still held, so this order keeps the
        // teardown linear.
        exactBackground.forEach(Subscription::close);
        patternBackground.forEach(Subscription::close);
        broker.close();
        Counter.verifyExactly(new Counter[] {counter}, published, "routing " + background);
        if (misrouted.get() != 0 || stats.rejected() != 0 || stats.dropped() != 0) {
            throw new IllegalStateException("misrouted " + misrouted.get() + ", " + stats);
        }
    }

    /**
     * Publishes one message; direct delivery has called the subscriber when it returns.
     *
     * @return the publish outcome, so the call is not optimized away
     */
    @Benchmark
    public CompletionStage<?> publish() {
        published++;
        return broker.publish(TOPIC, PAYLOAD);
    }
}
