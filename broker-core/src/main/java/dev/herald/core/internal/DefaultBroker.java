package dev.herald.core.internal;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.ErrorListener;
import dev.herald.core.HeraldException;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.TopicStats;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.spi.Clock;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineContext;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The broker: validation, the subscribe and resume protocol, counters and lifecycle, in front of an
 * {@link Engine} and a {@link Hub}.
 *
 * <p>Concurrency: thread-safe. Holds no lock of its own on the publish path; see {@link InMemoryEngine},
 * {@link Hub} and {@link BrokerSubscription} for theirs.
 *
 * @param <T> payload type
 */
public final class DefaultBroker<T> implements Broker<T> {
    private static final System.Logger LOG = System.getLogger("dev.herald.core");

    private final Engine<T> engine;
    private final Clock clock;
    private final Hub<T> hub;
    private final DeliveryPolicy defaultDelivery;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final ScheduledExecutorService sweeper;
    private final ErrorListener errorListener;
    private final Duration closeGracePeriod;
    private final Set<BrokerSubscription<T>> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;

    private final LongAdder published = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder subscriberErrors = new LongAdder();
    private final LongAdder slowConsumersClosed = new LongAdder();

    /**
     * Creates and starts a broker. Use {@link Broker#builder()}.
     *
     * @param engine          the engine, not started
     * @param context         the settings the engine was created with
     * @param defaultDelivery delivery policy of subscriptions that do not choose one
     * @param executor        executor for queued delivery, or {@code null} for a broker-owned pool
     * @param errorListener   listener for subscriber errors, or {@code null}
     * @param closeGracePeriod how long close waits for queued messages
     */
    public DefaultBroker(Engine<T> engine, EngineContext<T> context, DeliveryPolicy defaultDelivery,
                         Executor executor, ErrorListener errorListener, Duration closeGracePeriod) {
        this.engine = engine;
        this.clock = context.clock();
        this.defaultDelivery = defaultDelivery;
        this.errorListener = errorListener;
        this.closeGracePeriod = closeGracePeriod;
        if (executor != null) {
            this.executor = executor;
            this.ownedExecutor = null;
        } else {
            // One processor is left to the publishers: with as many drains as processors, a publisher and a
            // drain share one, and each hand-over between them is a context switch.
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
            ForkJoinPool pool = new ForkJoinPool(threads, p -> {
                ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                thread.setName("herald-delivery-" + thread.getPoolIndex());
                thread.setDaemon(true);
                return thread;
            }, null, true);
            this.executor = pool;
            this.ownedExecutor = pool;
        }
        this.hub = new Hub<>(engine);
        engine.start(hub);
        if (context.history().expiresByAge()) {
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "herald-history-sweeper");
                thread.setDaemon(true);
                return thread;
            });
            scheduler.setRemoveOnCancelPolicy(true);
            scheduler.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
            this.sweeper = scheduler;
        } else {
            this.sweeper = null;
        }
    }

    @Override
    public CompletionStage<PublishResult> publish(String topic, T data) {
        if (!open) {
            return reject(RejectReason.BROKER_CLOSED, "broker is closed");
        }
        if (!Topics.isValidName(topic)) {
            try {
                Topics.requireName(topic);
            } catch (HeraldException e) {
                return reject(e.reason(), e.getMessage());
            }
        }
        if (data == null) {
            return reject(RejectReason.INVALID_PAYLOAD, "data must not be null");
        }
        if (hub.hasBlockingSubscriptions() && !hub.awaitRoom(topic, clock.nanoTime())) {
            return reject(RejectReason.BACKPRESSURE_TIMEOUT,
                    "a subscriber of '" + topic + "' stayed full past its delivery timeout");
        }
        CompletionStage<PublishResult> result = engine.publish(topic, data);
        CompletableFuture<PublishResult> future = result.toCompletableFuture();
        if (future.isDone() && !future.isCompletedExceptionally()) {
            count(future.join());
            return result;
        }
        return result.whenComplete((r, e) -> {
            if (r != null) {
                count(r);
            } else {
                rejected.increment();
            }
        });
    }

    @Override
    public CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data) {
        int size = data.size();
        RejectReason reason = null;
        String problem = null;
        if (!open) {
            reason = RejectReason.BROKER_CLOSED;
            problem = "broker is closed";
        } else if (!Topics.isValidName(topic)) {
            try {
                Topics.requireName(topic);
            } catch (HeraldException e) {
                reason = e.reason();
                problem = e.getMessage();
            }
        } else {
            int index = 0;
            for (T item : data) {
                if (item == null) {
                    reason = RejectReason.INVALID_PAYLOAD;
                    problem = "data[" + index + "] must not be null; nothing of the batch was published";
                    break;
                }
                index++;
            }
        }
        if (reason != null) {
            rejected.add(size);
            return CompletableFuture.completedFuture(
                    Collections.nCopies(size, new PublishResult.Rejected(reason, problem)));
        }
        if (size == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (hub.hasBlockingSubscriptions()) {
            // Each message waits for room on its own, as publish does; later ones after this method returned, if the
            // engine completes later, so they are copied first.
            @SuppressWarnings("unchecked")
            List<T> copy = (List<T>) Arrays.asList(data.toArray());
            List<PublishResult> results = new ArrayList<>(size);
            CompletionStage<?> previous = CompletableFuture.completedFuture(null);
            for (T item : copy) {
                previous = previous.thenCompose(ignored -> publish(topic, item)).thenAccept(results::add);
            }
            return previous.thenApply(ignored -> results);
        }
        return engine.publishAll(topic, data).whenComplete((results, e) -> {
            if (results == null) {
                rejected.add(size);
            } else if (results instanceof AcceptedBatch) {
                // Counted without making a result object per message.
                published.add(results.size());
            } else {
                long accepted = results.stream().filter(PublishResult::accepted).count();
                published.add(accepted);
                rejected.add(results.size() - accepted);
            }
        });
    }

    private void count(PublishResult result) {
        if (result.accepted()) {
            published.increment();
        } else {
            rejected.increment();
        }
    }

    private CompletionStage<PublishResult> reject(RejectReason reason, String message) {
        rejected.increment();
        return CompletableFuture.completedFuture(new PublishResult.Rejected(reason, message));
    }

    @Override
    public CompletionStage<Subscription> subscribeAsync(String filter, SubscribeOptions options,
                                                        Subscriber<? super T> subscriber) {
        java.util.Objects.requireNonNull(options, "options");
        java.util.Objects.requireNonNull(subscriber, "subscriber");
        if (!open) {
            return CompletableFuture.failedFuture(
                    new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed"));
        }
        boolean pattern;
        try {
            pattern = Topics.isPattern(Topics.requireFilter(filter));
        } catch (HeraldException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (pattern && options.replays()) {
            return CompletableFuture.failedFuture(new HeraldException(RejectReason.INVALID_POSITION,
                    "resume and replay need a topic name; '" + filter + "' is a pattern"));
        }
        DeliveryPolicy policy = options.deliveryPolicy() != null ? options.deliveryPolicy() : defaultDelivery;
        BrokerSubscription<T> subscription =
                new BrokerSubscription<>(this, filter, subscriber, policy, executor, options.replays());
        CompletionStage<Void> interest;
        try {
            interest = hub.register(subscription);
        } catch (HeraldException e) {
            return CompletableFuture.failedFuture(e);
        }
        subscriptions.add(subscription);
        if (!open) {
            // close() may have run between the check above and the registration.
            unregister(subscription);
            return CompletableFuture.failedFuture(
                    new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed"));
        }
        // The replay is read only once the engine's interest is in effect: a message published after that arrives
        // live, one published before it is in the read, and the subscription drops what it gets twice.
        CompletionStage<Subscription> ready = interest.thenCompose(inEffect -> {
            if (pattern) {
                return CompletableFuture.completedFuture(subscription);
            }
            return options.replays()
                    ? recover(subscription, options)
                    : readSubscribed(filter, HistoryQuery.latest(0)).thenCompose(history ->
                            liveReached(filter, history).thenApply(ignored -> {
                                subscription.completeRecovery(List.of(), history.position(), true);
                                return subscription;
                            }));
        });
        return ready.whenComplete((s, error) -> {
            if (error != null) {
                subscription.close();
            }
        });
    }

    /** Reads what the subscription must replay, decides whether recovery is complete, and goes live. */
    private CompletionStage<Subscription> recover(BrokerSubscription<T> subscription, SubscribeOptions options) {
        String topic = subscription.filter();
        StreamPosition from = options.fromPosition();
        if (from == null) {
            int last = options.lastCount();
            return readSubscribed(topic, HistoryQuery.latest(last)).thenCompose(history ->
                    liveReached(topic, history).thenApply(ignored -> {
                        long expected = Math.min(last, history.position().offset());
                        subscription.completeRecovery(history.messages(), history.position(),
                                history.messages().size() == expected);
                        return subscription;
                    }));
        }
        return readSubscribed(topic, HistoryQuery.after(from.offset(), Integer.MAX_VALUE)).thenCompose(history -> {
            StreamPosition now = history.position();
            boolean sameEpoch = now.epoch().equals(from.epoch());
            if (sameEpoch) {
                if (from.offset() > now.offset()) {
                    throw new HeraldException(RejectReason.INVALID_POSITION, "offset " + from.offset()
                            + " lies beyond the latest offset " + now.offset() + " of '" + topic + "' in epoch "
                            + now.epoch());
                }
                subscription.skipThrough(from.offset());
                return liveReached(topic, history).thenApply(ignored -> {
                    subscription.completeRecovery(history.messages(), now,
                            from.offset() + 1 >= history.oldestOffset());
                    return subscription;
                });
            }
            // Another lifetime of the topic: the offset means nothing here, so deliver all that is retained.
            return readSubscribed(topic, HistoryQuery.all()).thenCompose(all ->
                    liveReached(topic, all).thenApply(ignored -> {
                        boolean complete = from.offset() == 0 && all.oldestOffset() == 1;
                        subscription.completeRecovery(all.messages(), all.position(), complete);
                        return subscription;
                    }));
        });
    }

    /** Waits until the live messages up to the read's position reached this node (see {@link Engine#liveReached}). */
    private CompletionStage<Void> liveReached(String topic, History<T> read) {
        return engine.liveReached(topic, read.position());
    }

    /**
     * Reads a subscribed topic. The topic exists once the interest call of its first subscriber has landed; a
     * second subscriber that registered meanwhile may read before it, find no topic and report an empty epoch,
     * which would make its client's later resume look like another lifetime of the topic. So when the read finds
     * no topic, ensure it and read again.
     */
    private CompletionStage<History<T>> readSubscribed(String topic, HistoryQuery query) {
        return engine.read(topic, query).thenCompose(history -> {
            if (!history.position().epoch().isEmpty()) {
                return CompletableFuture.completedFuture(history);
            }
            return engine.interest(topic, true).thenCompose(ignored -> engine.read(topic, query));
        });
    }

    @Override
    public CompletionStage<History<T>> history(String topic, HistoryQuery query) {
        java.util.Objects.requireNonNull(query, "query");
        try {
            Topics.requireName(topic);
        } catch (HeraldException e) {
            return CompletableFuture.failedFuture(e);
        }
        return engine.read(topic, query);
    }

    @Override
    public Optional<TopicStats> topicStats(String topic) {
        if (!Topics.isValidName(topic)) {
            return Optional.empty();
        }
        Optional<TopicStats> stats;
        try {
            stats = engine.topicStats(topic).toCompletableFuture().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
        return stats.map(s -> new TopicStats(s.topic(), s.position(), s.retained(), s.retainedBytes(),
                hub.subscriberCount(topic)));
    }

    @Override
    public BrokerStats stats() {
        long pending = 0;
        for (BrokerSubscription<T> subscription : subscriptions) {
            subscription.applyBound();
            pending += subscription.pending();
        }
        return new BrokerStats(published.sum(), rejected.sum(), delivered.sum(), dropped.sum(),
                subscriberErrors.sum(), slowConsumersClosed.sum(), engine.topicCount(), subscriptions.size(),
                pending);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        engine.close();
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        // The grace period is real waiting time, so it runs on the system clock even when the broker's clock is a
        // test's fake one that nobody advances.
        long deadline = System.nanoTime() + closeGracePeriod.toNanos();
        while (hasPending() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        for (BrokerSubscription<T> subscription : subscriptions) {
            subscription.closeByBroker();
            unregister(subscription);
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
            if (Thread.currentThread() instanceof ForkJoinWorkerThread worker && worker.getPool() == ownedExecutor) {
                // Closed from a subscriber callback on our own pool: this thread ends when the callback returns,
                // so waiting for the pool to terminate here could only time out.
                return;
            }
            try {
                if (!ownedExecutor.awaitTermination(closeGracePeriod.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                    ownedExecutor.shutdownNow();
                }
            } catch (InterruptedException e) {
                ownedExecutor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean hasPending() {
        for (BrokerSubscription<T> subscription : subscriptions) {
            // A subscription whose callback is closing the broker cannot drain until close returns.
            if (subscription.pending() > 0 && !subscription.isDeliveringOnThisThread()) {
                return true;
            }
        }
        return false;
    }

    private void sweep() {
        try {
            engine.sweep();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "history sweep failed", e);
        }
    }

    // ---------------------------------------------------------------- called by subscriptions

    void unregister(BrokerSubscription<T> subscription) {
        if (subscriptions.remove(subscription)) {
            hub.unregister(subscription);
        }
    }

    void closedAsSlow(BrokerSubscription<T> subscription) {
        slowConsumersClosed.increment();
        unregister(subscription);
    }

    long nanoTime() {
        return clock.nanoTime();
    }

    void countDelivered(long count) {
        if (count > 0) {
            delivered.add(count);
        }
    }

    void countDropped(long count) {
        if (count > 0) {
            dropped.add(count);
        }
    }

    void reportSubscriberError(String filter, Throwable error, long errorsOfSubscription) {
        subscriberErrors.increment();
        // The first error of a subscription and then every thousandth, so a broken subscriber cannot flood logs.
        if (errorsOfSubscription == 1 || errorsOfSubscription % 1000 == 0) {
            LOG.log(Level.WARNING, "subscriber of '" + filter + "' threw (error " + errorsOfSubscription
                    + " of this subscription); delivery goes on", error);
        }
        if (errorListener != null) {
            try {
                errorListener.onSubscriberError(filter, error);
            } catch (RuntimeException ignored) {
                // The listener's own failure must not disturb delivery either.
            }
        }
    }
}
