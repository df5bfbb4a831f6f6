package dev.herald.core.stress;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.BrokerBuilder;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Where a stress test's broker delivers. The broker's own pool has one thread fewer than there are processors, so
 * on a two-core machine a single thread runs every drain, and two readers of one topic's ring never run at the same
 * time. Tests of ring readers therefore also run on a fork-join pool of {@value #THREADS} threads, whatever the
 * machine. Close it after the broker.
 */
final class DeliveryPool implements AutoCloseable {
    private static final int THREADS = 4;

    /** {@code null} for the broker's own pool. */
    private final ForkJoinPool pool;

    /**
     * @param ownThreads {@code true} for a pool of {@value #THREADS} threads; {@code false} for the broker's own
     */
    DeliveryPool(boolean ownThreads) {
        pool = ownThreads ? new ForkJoinPool(THREADS, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true)
                : null;
    }

    /** A builder that delivers on this pool. */
    <T> BrokerBuilder<T> builder() {
        BrokerBuilder<T> builder = Broker.builder();
        return pool == null ? builder : builder.executor(pool);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            assertTrue(terminated(), "delivery pool did not stop");
        }
    }

    private boolean terminated() {
        try {
            return pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
