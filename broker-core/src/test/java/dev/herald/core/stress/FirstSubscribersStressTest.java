package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.Subscription;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several subscribers race to be first on topics that do not exist yet. Every one of them must be told the
 * topic's real epoch: one told an empty epoch would later resume as if the topic had had another lifetime, and
 * get the whole retained history again as duplicates.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FirstSubscribersStressTest {
    private static final int THREADS = 4;
    private static final int TOPICS = 2000;

    @Test
    void everySubscriberOfANewTopicLearnsItsEpoch() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (Broker<String> broker = Broker.<String>builder().history(HistoryPolicy.lastN(10)).build()) {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<List<Subscription>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit(() -> {
                    List<Subscription> mine = new ArrayList<>();
                    for (int i = 0; i < TOPICS; i++) {
                        if (i % 100 == 0) {
                            start.await(10, TimeUnit.SECONDS);
                        }
                        mine.add(broker.subscribe("new." + i, m -> { }));
                    }
                    return mine;
                }));
            }
            for (Future<List<Subscription>> result : results) {
                for (Subscription subscription : result.get(30, TimeUnit.SECONDS)) {
                    String epoch = subscription.position().epoch();
                    assertTrue(!epoch.isEmpty(), () -> "empty epoch for " + subscription.filter());
                    assertEquals(broker.topicStats(subscription.filter()).orElseThrow().position().epoch(), epoch);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
