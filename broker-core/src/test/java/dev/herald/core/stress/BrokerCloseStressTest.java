package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.CloseReason;
import dev.herald.core.HeraldException;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscription;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;

/**
 * {@code Broker.close()} while publishers and subscribers are busy: every subscription ends with exactly one
 * {@code onClose(BROKER_CLOSED)} as its last callback, what it got is still gapless, later calls are refused,
 * and every thread the broker started is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BrokerCloseStressTest {
    private static final List<String> TOPICS = List.of("x.a", "x.b", "y.a");

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    @RepeatedTest(3)
    void closeUnderLoadEndsEverySubscriptionOnceAndLeavesNoThreadBehind() throws Exception {
        Set<Thread> before = heraldThreads();
        // maxAge starts the history sweeper thread as well as the delivery pool.
        Broker<Payload> broker = Broker.<Payload>builder().history(HistoryPolicy.maxAge(Duration.ofMinutes(1)))
                .closeGracePeriod(Duration.ofMillis(200)).build();
        List<RecordingSubscriber> recorders = new ArrayList<>();
        List<Subscription> subscriptions = new ArrayList<>();
        for (String filter : List.of("x.a", "x.b", "y.a", "x.*", ">", "*.a")) {
            for (DeliveryPolicy policy : List.of(DeliveryPolicy.direct(), DeliveryPolicy.dropOldest(1 << 20),
                    DeliveryPolicy.dropNewest(16))) {
                RecordingSubscriber recorder = new RecordingSubscriber(filter + " " + policy, null);
                recorders.add(recorder);
                subscriptions.add(broker.subscribe(filter, SubscribeOptions.live().delivery(policy), recorder));
            }
        }
        List<Future<Long>> publishers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int publisher = p;
            publishers.add(threads.submit(() -> {
                for (long i = 0; ; i++) {
                    PublishResult result = broker.publish(TOPICS.get((int) (i % TOPICS.size())),
                            new Payload(publisher, i)).toCompletableFuture().join();
                    if (result instanceof PublishResult.Rejected rejected) {
                        assertEquals(RejectReason.BROKER_CLOSED, rejected.reason());
                        return i;
                    }
                }
            }));
        }
        PublishLedger.await("traffic", Duration.ofSeconds(10), () -> recorders.get(0).received() > 1_000);

        Set<Thread> started = heraldThreads();
        started.removeAll(before);
        assertTrue(started.stream().anyMatch(t -> t.getName().equals("herald-history-sweeper")), started::toString);
        assertTrue(started.stream().anyMatch(t -> t.getName().startsWith("herald-delivery-")), started::toString);

        broker.close();
        for (RecordingSubscriber recorder : recorders) {
            recorder.markCloseReturned();
        }

        assertFalse(broker.isOpen());
        for (Future<Long> publisher : publishers) {
            assertTrue(publisher.get(10, TimeUnit.SECONDS) > 0);
        }
        assertThrows(HeraldException.class, () -> broker.subscribe("x.a", m -> { }));
        for (int i = 0; i < subscriptions.size(); i++) {
            Subscription subscription = subscriptions.get(i);
            RecordingSubscriber recorder = recorders.get(i);
            assertFalse(subscription.isOpen(), recorder.toString());
            assertEquals(List.of(CloseReason.BROKER_CLOSED), recorder.closeReasons(), recorder.toString());
            assertEquals(recorder.received(), subscription.stats().delivered(), recorder.toString());
            assertEquals(0, subscription.stats().pending(), recorder.toString());
            if (!subscription.toString().contains("DROP_NEWEST")) {
                for (Map.Entry<String, List<Long>> entry : recorder.allOffsets().entrySet()) {
                    PublishLedger.assertContiguous(recorder + " on " + entry.getKey(), entry.getValue());
                }
            }
            subscription.close();
            assertEquals(List.of(), recorder.violations());
        }
        assertEquals(0, broker.stats().subscriptions());

        for (Thread thread : started) {
            thread.join(10_000);
        }
        Set<Thread> left = heraldThreads();
        left.removeAll(before);
        assertEquals(Set.of(), left.stream().map(Thread::getName).collect(Collectors.toSet()),
                "threads the broker left running");
    }

    private static Set<Thread> heraldThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("herald-"))
                .collect(Collectors.toSet());
    }
}
