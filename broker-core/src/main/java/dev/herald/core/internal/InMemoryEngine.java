package dev.herald.core.internal;

import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.HeraldException;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.TopicStats;
import dev.herald.core.Topics;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineContext;
import dev.herald.core.spi.EngineListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * The default engine: topics, offsets and history in this JVM's memory.
 *
 * <p>Concurrency: one lock per topic ({@link TopicLog#lock}) serializes publishes to that topic; publishes to
 * different topics run in parallel. The listener is called under the topic's lock, so it sees each topic's
 * messages in offset order, and a history read never sees a message the listener has not been given.
 * A topic lives while it retains history or a local subscription (exact, or a pattern) matches it, as the
 * {@link EngineListener#hasSubscribers listener} tells; otherwise it is removed, and a later publish starts it
 * again under a new epoch. Interest calls take no hub lock, and this engine takes no hub lock under a topic's
 * lock except the lock-free {@code hasSubscribers}, so a subscriber that subscribes or closes from a callback
 * cannot deadlock with a publisher.
 *
 * @param <T> payload type
 */
public final class InMemoryEngine<T> implements Engine<T> {
    /**
     * Messages of a batch handed to the listener at a time (see {@link #publishAll}): a small first chunk, so
     * delivery starts soon; then twice as many each time, up to a limit, so the cost per chunk stays small.
     */
    private static final int FIRST_CHUNK = 64;
    private static final int LARGEST_CHUNK = 1024;
    private static final History<?> NO_HISTORY = new History<>(List.of(), new StreamPosition(0, ""), 1);

    private final Clock clock;
    private final HistoryPolicy policy;
    /** Whether retention looks at ages; if not, a publish need not read the monotonic clock. */
    private final boolean expiresByAge;
    private final boolean retainsNothing;
    private final ToLongFunction<? super T> weigher;
    private final int maxTopics;
    /** Unique per engine instance, so epochs and ids from different instances never collide. */
    private final String instance;
    private final AtomicLong epochs = new AtomicLong();
    private final ConcurrentHashMap<String, TopicLog<T>> topics = new ConcurrentHashMap<>();
    private final AtomicInteger topicCount = new AtomicInteger();
    /** Topics that retain nothing but were kept because subscriptions match them; rechecked when those leave. */
    private final Set<TopicLog<T>> heldBySubscribers = ConcurrentHashMap.newKeySet();
    private volatile EngineListener<T> listener;
    private volatile boolean closed;

    /**
     * Creates the engine.
     *
     * @param context the broker's settings
     */
    public InMemoryEngine(EngineContext<T> context) {
        this.clock = context.clock();
        this.policy = context.history();
        this.expiresByAge = policy.expiresByAge();
        this.retainsNothing = policy == HistoryPolicy.none();
        this.weigher = context.payloadWeigher();
        this.maxTopics = context.maxTopics();
        this.instance = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1 | 1L << 62, 36);
    }

    @Override
    public void start(EngineListener<T> listener) {
        this.listener = listener;
    }

    @Override
    public CompletionStage<PublishResult> publish(String topic, T data) {
        // Weighed before the offset is taken: a weigher that throws must not leave a gap.
        long weight = retainsNothing ? 0 : weigh(data);
        TopicLog<T> log = lockLive(topic);
        if (log == null) {
            return CompletableFuture.completedFuture(refusal(topic));
        }
        try {
            long nowNanos = expiresByAge ? clock.nanoTime() : 0;
            Message<T> message = sequence(log, topic, data, weight, clock.now(), nowNanos);
            listener.onMessage(message);
            removeIfUnused(log);
            return CompletableFuture.completedFuture(new PublishResult.Accepted(
                    message.id(), topic, message.offset(), log.epoch, message.timestamp()));
        } finally {
            log.lock.unlock();
        }
    }

    /**
     * One lock, one timestamp and consecutive offsets for the whole batch; refused whole (closed, topic limit) or
     * accepted whole. The listener gets the batch in chunks (see {@link #FIRST_CHUNK}), each as soon as it is made,
     * so delivery on other threads overlaps with making the rest, as it does for messages published one by one.
     */
    @Override
    public CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data) {
        // Everything that can fail is done on a copy before the topic changes: a list that changes under the
        // caller's feet (a null slipped in, another size) or a weigher that throws leaves no half-published batch.
        Object[] items = data.toArray();
        if (items.length != data.size()) {
            throw new ConcurrentModificationException("the batch changed size while it was published");
        }
        long[] weights = retainsNothing ? null : new long[items.length];
        for (int i = 0; i < items.length; i++) {
            @SuppressWarnings("unchecked")
            T item = (T) items[i];
            if (item == null) {
                throw new NullPointerException("data[" + i + "] is null; nothing of the batch was published");
            }
            if (weights != null) {
                weights[i] = weigh(item);
            }
        }
        TopicLog<T> log = lockLive(topic);
        if (log == null) {
            return CompletableFuture.completedFuture(Collections.nCopies(items.length, refusal(topic)));
        }
        try {
            long nowNanos = expiresByAge ? clock.nanoTime() : 0;
            Instant timestamp = clock.now();
            @SuppressWarnings("unchecked")
            Message<T>[] messages = (Message<T>[]) new Message<?>[items.length];
            int chunk = FIRST_CHUNK;
            for (int from = 0, to; from < items.length; from = to, chunk = Math.min(2 * chunk, LARGEST_CHUNK)) {
                to = Math.min(items.length, from + chunk);
                for (int i = from; i < to; i++) {
                    @SuppressWarnings("unchecked")
                    T item = (T) items[i];
                    messages[i] = sequence(log, topic, item, weights == null ? 0 : weights[i], timestamp, nowNanos);
                }
                // A list of its own per chunk, not a subList view: delivery calls get() once per message and
                // subscriber, and a view's get() checks its range and the backing list's modification count.
                listener.onMessages(Arrays.asList(from == 0 && to == messages.length
                        ? messages : Arrays.copyOfRange(messages, from, to)));
            }
            removeIfUnused(log);
            return CompletableFuture.completedFuture(new AcceptedBatch<>(messages, log.epoch));
        } finally {
            log.lock.unlock();
        }
    }

    /**
     * Under the log's lock: the next offset, the message, and its place in history. Nothing in it can throw, so
     * an offset once taken always has its message.
     */
    private Message<T> sequence(TopicLog<T> log, String topic, T data, long weight, Instant timestamp,
                                long nowNanos) {
        long offset = ++log.lastOffset;
        Message<T> message = Message.withIdPrefix(log.idPrefix, topic, offset, timestamp, data);
        if (!retainsNothing) {
            log.append(message, weight, nowNanos, policy);
        }
        return message;
    }

    /** A payload's weight for the byte bound of history; a negative one would loosen the bound for good. */
    private long weigh(T data) {
        long weight = weigher.applyAsLong(data);
        if (weight < 0) {
            throw new IllegalStateException("the payload weigher returned " + weight + "; nothing was published");
        }
        return weight;
    }

    /**
     * The topic's log, created if needed, locked and not removed; {@code null} if the engine is closed or the
     * topic would pass the limit ({@link #refusal} tells which).
     */
    private TopicLog<T> lockLive(String topic) {
        for (;;) {
            if (closed) {
                return null;
            }
            TopicLog<T> log = topics.get(topic);
            if (log == null && (log = create(topic)) == null) {
                return null;
            }
            log.lock.lock();
            if (!log.removed) {
                return log;
            }
            log.lock.unlock();
        }
    }

    private PublishResult refusal(String topic) {
        return closed
                ? new PublishResult.Rejected(RejectReason.BROKER_CLOSED, "broker is closed")
                : new PublishResult.Rejected(RejectReason.TOO_MANY_TOPICS,
                        "topic '" + topic + "' would pass the limit of " + maxTopics + " topics");
    }

    @Override
    public CompletionStage<History<T>> read(String topic, HistoryQuery query) {
        TopicLog<T> log = topics.get(topic);
        if (log == null) {
            return CompletableFuture.completedFuture(noHistory());
        }
        log.lock.lock();
        try {
            if (log.removed) {
                return CompletableFuture.completedFuture(noHistory());
            }
            log.evict(clock.nanoTime(), policy);
            History<T> history = new History<>(log.select(query), log.position(), log.oldestOffset());
            removeIfUnused(log);
            return CompletableFuture.completedFuture(history);
        } finally {
            log.lock.unlock();
        }
    }

    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<Void> interest(String filter, boolean interested) {
        if (!closed) {
            applyInterest(filter, interested);
        }
        // Otherwise the broker is closing its subscriptions after the engine: there is nothing left to keep or drop.
        return DONE;
    }

    private void applyInterest(String filter, boolean interested) {
        if (interested) {
            // A subscribed topic exists (and counts against the limit) even before its first message. A publish
            // may be dropping the topic right now, having asked the hub before this subscription registered: wait
            // for its lock, and start the topic again if it went. Any later check sees the subscription.
            while (!Topics.isPattern(filter)) {
                TopicLog<T> log = topics.get(filter);
                if (log == null && (log = create(filter)) == null) {
                    throw new HeraldException(RejectReason.TOO_MANY_TOPICS,
                            "topic '" + filter + "' would pass the limit of " + maxTopics + " topics");
                }
                log.lock.lock();
                try {
                    if (!log.removed) {
                        return;
                    }
                } finally {
                    log.lock.unlock();
                }
            }
            return;
        }
        if (Topics.isPattern(filter)) {
            // Only topics this pattern matches can have lost their last subscriber. Collect them first:
            // removeIfUnused puts back a topic another subscription still matches, and a live iterator could meet
            // it again (a re-added entry goes to the end of its hash bin) and never finish.
            List<TopicLog<T>> released = new ArrayList<>();
            for (TopicLog<T> log : heldBySubscribers) {
                if (Topics.matches(filter, log.name)) {
                    released.add(log);
                }
            }
            for (TopicLog<T> log : released) {
                heldBySubscribers.remove(log);
                withLock(log, () -> {
                    log.heldBySubscribers = false;
                    removeIfUnused(log);
                });
            }
        } else {
            TopicLog<T> log = topics.get(filter);
            if (log != null) {
                heldBySubscribers.remove(log);
                withLock(log, () -> {
                    log.heldBySubscribers = false;
                    removeIfUnused(log);
                });
            }
        }
    }

    @Override
    public CompletionStage<Optional<TopicStats>> topicStats(String topic) {
        TopicLog<T> log = topics.get(topic);
        if (log == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        log.lock.lock();
        try {
            return CompletableFuture.completedFuture(log.removed ? Optional.empty() : Optional.of(log.stats(0)));
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public long topicCount() {
        return topicCount.get();
    }

    @Override
    public void sweep() {
        for (TopicLog<T> log : topics.values()) {
            withLock(log, () -> {
                log.evict(clock.nanoTime(), policy);
                removeIfUnused(log);
            });
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    private void withLock(TopicLog<T> log, Runnable action) {
        log.lock.lock();
        try {
            if (!log.removed) {
                action.run();
            }
        } finally {
            log.lock.unlock();
        }
    }

    /** Creates and registers a topic, or returns the one another thread registered; {@code null} past the limit. */
    private TopicLog<T> create(String topic) {
        if (topicCount.incrementAndGet() > maxTopics) {
            topicCount.decrementAndGet();
            return topics.get(topic);
        }
        String epoch = instance + "." + Long.toString(epochs.incrementAndGet(), 36);
        TopicLog<T> created = new TopicLog<>(topic, epoch);
        TopicLog<T> existing = topics.putIfAbsent(topic, created);
        if (existing != null) {
            topicCount.decrementAndGet();
            return existing;
        }
        return created;
    }

    /** Called under the log's lock: drops a topic that retains nothing and that nobody here listens to. */
    private void removeIfUnused(TopicLog<T> log) {
        if (log.retainedCount() > 0 || log.removed) {
            return;
        }
        if (log.heldBySubscribers) {
            // Already held, and so already in the set: the release of the last subscription that matches it, exact
            // or pattern, clears the flag and asks again. A publish need not.
            return;
        }
        // Into the set before asking: a pattern subscription that leaves meanwhile is gone from the hub before its
        // release walks this set, so either the question below sees it gone or the walk sees this topic.
        heldBySubscribers.add(log);
        log.heldBySubscribers = true;
        if (listener.hasSubscribers(log.name)) {
            return;
        }
        log.removed = true;
        log.heldBySubscribers = false;
        heldBySubscribers.remove(log);
        if (topics.remove(log.name, log)) {
            topicCount.decrementAndGet();
        }
    }

    @SuppressWarnings("unchecked")
    private History<T> noHistory() {
        return (History<T>) NO_HISTORY;
    }
}
