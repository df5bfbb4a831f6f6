package dev.herald.examples.inprocess;

import dev.herald.core.Broker;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * In-process pub/sub: services inside one JVM exchange events through topics, with no network at all.
 *
 * <p>It shows, in order:
 * <ol>
 *   <li>an orders service publishing domain events to per-region topics, which keep their history;</li>
 *   <li>a billing service that follows every region through one wildcard subscription, {@code orders.>};</li>
 *   <li>an audit service that "restarts" and resumes from the last offset it had processed, losing nothing;</li>
 *   <li>a history read of the latest events of a topic;</li>
 *   <li>a slow dashboard with a bounded queue that drops its oldest readings instead of growing memory,
 *       and can see exactly what it missed from the offsets and its counters.</li>
 * </ol>
 * Run it with {@code ./mvnw -B -q -pl broker-examples -am package -DskipTests}, then
 * {@code java -cp broker-core/target/classes:broker-examples/target/classes
 * dev.herald.examples.inprocess.InProcessExample}: it needs nothing but {@code broker-core}.
 */
public final class InProcessExample {

    /** A domain event of the orders service. Any type works as a payload; records are a good fit. */
    public record OrderPlaced(String orderId, String region, long cents) {
    }

    /**
     * What the run observed, for the example's test.
     *
     * @param billingTotals      cents per region, summed by the wildcard subscriber
     * @param auditOffsets       offsets of {@code orders.eu} the resumed audit service received
     * @param auditRecovered     whether the resume had every message it needed
     * @param latestHistory      order ids of the two newest retained {@code orders.eu} events
     * @param dashboardOffsets   offsets the bounded, slow dashboard received
     * @param dashboardDropped   how many readings its queue dropped
     */
    public record Report(Map<String, Long> billingTotals, List<Long> auditOffsets, boolean auditRecovered,
                         List<String> latestHistory, List<Long> dashboardOffsets, long dashboardDropped) {
    }

    private static final Duration WAIT = Duration.ofSeconds(10);

    private InProcessExample() {
    }

    /**
     * Runs the example and prints what happens.
     *
     * @param args ignored
     * @throws InterruptedException if interrupted while waiting for deliveries
     */
    public static void main(String[] args) throws InterruptedException {
        run(System.out);
    }

    /**
     * Runs the example.
     *
     * @param out where to print what happens
     * @return what the services observed
     * @throws InterruptedException if interrupted while waiting for deliveries
     */
    public static Report run(PrintStream out) throws InterruptedException {
        // Each topic keeps its latest 100 events, for at most an hour: history is always bounded.
        try (Broker<OrderPlaced> broker = Broker.<OrderPlaced>builder()
                .history(HistoryPolicy.lastN(100).and(HistoryPolicy.maxAge(Duration.ofHours(1))))
                .build()) {

            // Billing follows every region with one wildcard subscription.
            Map<String, Long> totals = new TreeMap<>();
            CountDownLatch billed = new CountDownLatch(5);
            Subscription billing = broker.subscribe("orders.>", m -> {
                synchronized (totals) {
                    totals.merge(m.data().region(), m.data().cents(), Long::sum);
                }
                out.println("billing   <- " + describe(m));
                billed.countDown();
            });

            // The orders service publishes. Each accepted publish tells the event's offset in its topic.
            PublishResult.Accepted first = publish(broker, out, new OrderPlaced("o-1", "eu", 1200));
            publish(broker, out, new OrderPlaced("o-2", "us", 990));
            publish(broker, out, new OrderPlaced("o-3", "eu", 4500));
            publish(broker, out, new OrderPlaced("o-4", "eu", 150));
            publish(broker, out, new OrderPlaced("o-5", "us", 2000));
            await(billed, "billing to see 5 orders");
            billing.close();
            out.println("billing totals (cents per region): " + totals);

            // The audit service had processed orders.eu up to o-1 (offset 1) when it went down. It kept that
            // position (offset + epoch); on restart it resumes right after it: first the retained events it
            // missed, then live ones, with no gap and no duplicate at the seam.
            List<Long> auditOffsets = new CopyOnWriteArrayList<>();
            CountDownLatch audited = new CountDownLatch(3);
            Subscription audit = broker.subscribe("orders.eu", SubscribeOptions.from(first.position()), m -> {
                auditOffsets.add(m.offset());
                out.println("audit     <- " + describe(m));
                audited.countDown();
            });
            publish(broker, out, new OrderPlaced("o-6", "eu", 700));
            await(audited, "audit to catch up and see the live order");
            out.println("audit resumed after offset " + first.offset() + ", recovered everything: "
                    + audit.recovered());
            audit.close();

            // Anyone can read a topic's retained history, for example to render the latest events.
            History<OrderPlaced> history = broker.history("orders.eu", HistoryQuery.latest(2))
                    .toCompletableFuture().join();
            List<String> latest = history.messages().stream().map(m -> m.data().orderId()).toList();
            out.println("latest orders.eu history: " + latest + " (topic at offset "
                    + history.position().offset() + ")");

            Dashboard dashboard = runSlowDashboard(broker, out);
            return new Report(Map.copyOf(totals), List.copyOf(auditOffsets), audit.recovered(), latest,
                    dashboard.offsets, dashboard.dropped);
        }
    }

    private record Dashboard(List<Long> offsets, long dropped) {
    }

    /**
     * A dashboard that renders slowly gets a queue of 4 readings that drops the oldest when full. The publisher
     * never waits for it and memory stays bounded; the gap in the offsets and the drop counter say what it
     * missed.
     */
    private static Dashboard runSlowDashboard(Broker<OrderPlaced> broker, PrintStream out)
            throws InterruptedException {
        List<Long> offsets = new CopyOnWriteArrayList<>();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        CountDownLatch sawLast = new CountDownLatch(1);
        int readings = 20;
        Subscription dashboard = broker.subscribe("metrics.orders-per-second",
                SubscribeOptions.live().delivery(DeliveryPolicy.dropOldest(4)), m -> {
                    offsets.add(m.offset());
                    if (m.offset() == 1) {
                        // Stands for a slow render: stuck on the first reading while 19 more arrive.
                        busy.countDown();
                        awaitUninterruptibly(resume);
                    }
                    if (m.offset() == readings) {
                        sawLast.countDown();
                    }
                });
        broker.publish("metrics.orders-per-second", new OrderPlaced("reading-1", "all", 1));
        await(busy, "the dashboard to start rendering");
        for (int i = 2; i <= readings; i++) {
            broker.publish("metrics.orders-per-second", new OrderPlaced("reading-" + i, "all", i));
        }
        resume.countDown();
        await(sawLast, "the dashboard to see the newest reading");
        long dropped = dashboard.stats().droppedOldest();
        out.println("dashboard saw offsets " + offsets + "; its queue dropped " + dropped
                + " older readings, the publisher never waited");
        dashboard.close();
        return new Dashboard(List.copyOf(offsets), dropped);
    }

    private static PublishResult.Accepted publish(Broker<OrderPlaced> broker, PrintStream out, OrderPlaced order) {
        PublishResult result = broker.publish("orders." + order.region(), order).toCompletableFuture().join();
        if (!(result instanceof PublishResult.Accepted accepted)) {
            throw new IllegalStateException("publish refused: " + result);
        }
        out.printf("orders    -> %s #%d %s%n", accepted.topic(), accepted.offset(), order.orderId());
        return accepted;
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("timed out waiting for " + what);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the dashboard was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(Message<OrderPlaced> m) {
        return m.topic() + " #" + m.offset() + " " + m.data().orderId();
    }
}
