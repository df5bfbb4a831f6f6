package dev.herald.bench.load;

import dev.herald.bench.reference.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * The generator's event loops: one group for subscribers, one for publishers, and per subscriber loop the
 * latency histogram and delivery counter of the measurement window. Each {@link LoopStats} is touched only on its
 * loop; other threads read or reset it by running a task there ({@link #onEachLoop}).
 */
final class ClientLoops implements AutoCloseable {
    /** Longest latency the histograms hold: 10 minutes, in microseconds. */
    static final long MAX_LATENCY_MICROS = 600_000_000L;

    /** Per-loop measurement state; confined to the loop. */
    static final class LoopStats {
        final Histogram latencyMicros = new Histogram(MAX_LATENCY_MICROS, 3);
        /** Whether deliveries now fall in the measurement window. */
        boolean recording;
        long windowDeliveries;

        void record(long latencyNanos) {
            if (recording) {
                latencyMicros.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(0, latencyNanos / 1000)));
                windowDeliveries++;
            }
        }
    }

    final EventLoopGroup subscriberGroup;
    final EventLoopGroup publisherGroup;
    private final Map<EventExecutor, LoopStats> stats = new IdentityHashMap<>();
    /** Base of the intended send times in payloads, so they are small positive numbers. */
    final long baseNanos = System.nanoTime();

    ClientLoops(int subscriberThreads) {
        subscriberGroup = Transport.group(subscriberThreads, "load-subscriber");
        publisherGroup = Transport.group(1, "load-publisher");
        for (EventExecutor loop : subscriberGroup) {
            stats.put(loop, new LoopStats());
        }
        for (EventExecutor loop : publisherGroup) {
            stats.put(loop, new LoopStats());
        }
    }

    LoopStats stats(EventLoop loop) {
        return stats.get(loop);
    }

    Bootstrap bootstrap(EventLoopGroup group) {
        return new Bootstrap()
                .group(group)
                .channel(Transport.channel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    /** Runs {@code task} on every subscriber loop with its stats and returns the results. */
    <T> List<T> onEachLoop(Function<LoopStats, T> task) throws InterruptedException {
        List<Future<T>> futures = new ArrayList<>();
        for (EventExecutor loop : subscriberGroup) {
            LoopStats s = stats.get(loop);
            Callable<T> call = () -> task.apply(s);
            futures.add(loop.submit(call));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            try {
                results.add(future.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("event loop task failed", e);
            }
        }
        return results;
    }

    @Override
    public void close() {
        subscriberGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        publisherGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
