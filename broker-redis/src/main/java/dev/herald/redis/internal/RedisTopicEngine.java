package dev.herald.redis.internal;

import dev.herald.core.HeraldException;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.TopicStats;
import dev.herald.core.Topics;
import dev.herald.core.spi.Clock;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineContext;
import dev.herald.core.spi.EngineListener;
import dev.herald.core.spi.EngineStatus;
import dev.herald.redis.PayloadCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis engine: topics, offsets and history in Redis, shared by every node that uses the same Redis; live
 * messages reach a node through Redis pub/sub, only for the topics it has subscribers for.
 *
 * <p>Publishing is one atomic function call per publish or batch ({@code herald.lua}): the next offsets, the epoch
 * made with the topic, the stream entries, the trim, and the live frame on the topic's sharded channel. Every node
 * that follows the topic receives the frame; a {@link TopicFeed} per followed topic hands its messages to the
 * broker in offset order and, when the pub/sub connection was lost or offsets jump, reads what it missed from the
 * stream before it hands on anything newer. Pattern subscriptions are served by a {@link PatternFeed}.
 *
 * <p>Faults: while Redis cannot be reached, publishes are refused at once with
 * {@link RejectReason#ENGINE_UNAVAILABLE} (Lettuce rejects commands on a disconnected connection and does not send
 * again those in flight when it dropped), reads and new subscriptions fail the same way, and open subscriptions
 * wait; when the connection is back every followed topic catches up from the last offset it handed on.
 *
 * <p>Concurrency: thread-safe. Calls never block; work that must happen in order per topic runs in that topic's
 * {@link Mailbox} on a small pool of the engine's own threads, never on Lettuce's event loops, so a subscriber
 * that blocks cannot stall Redis I/O.
 *
 * @param <T> payload type
 */
public final class RedisTopicEngine<T> implements Engine<T>, RedisLink.Events {
    private static final Logger LOG = LoggerFactory.getLogger(RedisTopicEngine.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);
    /** Messages of a batch per function call: bounds the size of one call and of one live frame. */
    static final int BATCH_CHUNK = 512;

    private static final Duration LIBRARY_LOAD_TIMEOUT = Duration.ofSeconds(10);

    private final Keys keys;
    private final Bounds bounds;
    private final PayloadCodec<T> codec;
    private final Clock clock;
    private final ToLongFunction<? super T> weigher;
    private final int maxTopics;
    private final long ttlMillis;
    private final long refreshMillis;
    private final String nodeId;
    private final RedisLink link;
    private final FunctionCalls calls;
    private final ExecutorService dispatch;
    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<String, TopicFeed<T>> feeds = new ConcurrentHashMap<>();
    private final PatternFeed<T> patterns;
    final EngineCounters counters = new EngineCounters();

    private final Availability availability;
    private volatile EngineListener<T> listener;
    private volatile boolean closed;

    /**
     * Creates the engine and connects: blocks until Redis answers and the function library is loaded.
     *
     * @param context  the broker's settings; the history policy must be a built-in one
     * @param settings the engine's own settings
     * @param connect  opens the link, reporting to the events it is given
     * @throws IllegalArgumentException if the history policy is a custom one, or keeps messages longer than the
     *                                  topics' keys live
     * @throws io.lettuce.core.RedisException if Redis cannot be reached or refuses the library
     */
    public RedisTopicEngine(EngineContext<T> context, Settings<T> settings,
                            Function<RedisLink.Events, RedisLink> connect) {
        this.bounds = new Bounds(context.history().limits().orElseThrow(() -> new IllegalArgumentException(
                "the Redis engine applies history bounds in Redis and supports the built-in history policies "
                        + "(none, lastN, maxAge, maxBytes and their combinations), not a custom one")));
        dev.herald.core.policy.HistoryLimits limits = context.history().limits().orElseThrow();
        if (limits.boundsAge() && limits.maxAge().compareTo(settings.topicTtl()) > 0) {
            throw new IllegalArgumentException("the history keeps messages for " + limits.maxAge()
                    + ", longer than an idle topic's keys live in Redis (topicTtl " + settings.topicTtl() + ")");
        }
        this.keys = new Keys(settings.keyPrefix(), settings.cluster());
        this.codec = settings.codec();
        this.clock = context.clock();
        this.weigher = context.payloadWeigher();
        this.maxTopics = context.maxTopics();
        this.ttlMillis = settings.topicTtl().toMillis();
        this.refreshMillis = Math.max(1000, Math.min(settings.topicTtl().toMillis() / 4,
                TimeUnit.MINUTES.toMillis(5)));
        this.nodeId = settings.nodeId();
        AtomicInteger threads = new AtomicInteger();
        int poolSize = Math.max(2, Runtime.getRuntime().availableProcessors());
        // Queue bounded by the number of mailboxes: each has at most one drain waiting (see Mailbox).
        this.dispatch = new ThreadPoolExecutor(poolSize, poolSize, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread thread = new Thread(r, "herald-redis-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "herald-redis-timer");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        this.timer = scheduler;
        this.patterns = new PatternFeed<>(this);
        this.availability = new Availability(settings.nodeId(), feeds::size);
        RedisLink opened;
        try {
            opened = connect.apply(this);
            join(opened.loadLibrary(Library.SOURCE), LIBRARY_LOAD_TIMEOUT);
        } catch (RuntimeException e) {
            dispatch.shutdownNow();
            timer.shutdownNow();
            throw e;
        }
        this.link = opened;
        availability.connectedTo(link.describe());
        this.calls = new FunctionCalls(link, keys, bounds, ttlMillis, timer, counters, this::available);
        timer.scheduleWithFixedDelay(this::refreshTopics, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
        LOG.info("Herald node {} uses Redis at {}", nodeId, link.describe());
    }

    /**
     * The engine's own settings.
     *
     * @param codec     payload codec
     * @param keyPrefix prefix of every key and channel
     * @param cluster   whether Redis is a cluster
     * @param topicTtl  how long an idle topic's keys live
     * @param nodeId    this node's name, for logs
     * @param <T>       payload type
     */
    public record Settings<T>(PayloadCodec<T> codec, String keyPrefix, boolean cluster, Duration topicTtl,
                              String nodeId) {
    }

    private static void join(CompletionStage<?> stage, Duration timeout) {
        try {
            stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the Redis function library", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Redis did not load the function library within " + timeout, e);
        }
    }

    @Override
    public void start(EngineListener<T> listener) {
        this.listener = listener;
    }

    // ---------------------------------------------------------------- publishing

    @Override
    public CompletionStage<PublishResult> publish(String topic, T data) {
        if (closed) {
            return CompletableFuture.completedFuture(closedRefusal());
        }
        long weight = bounds.keeps ? weigh(data) : 0;
        byte[] payload = codec.encode(data);
        Instant now = clock.now();
        FunctionCalls.TopicNames names = calls.names(topic);
        byte[][] args = calls.publishArgs(names, now, 1);
        args[FunctionCalls.PUBLISH_FIXED_ARGS] = Library.arg(weight);
        args[FunctionCalls.PUBLISH_FIXED_ARGS + 1] = payload;
        return calls.publish(names, args).handle((reply, failure) -> {
            if (failure != null) {
                return refusal(names, failure);
            }
            String epoch = Library.string(reply, 0);
            FunctionCalls.epochTaken(names, epoch);
            long offset = Library.number(reply, 1);
            return new PublishResult.Accepted(epoch + "-" + offset, topic, offset, epoch, now);
        });
    }

    /**
     * The batch in calls of up to {@link #BATCH_CHUNK} messages, sent without waiting for each other: one connection
     * keeps them in order, and each call gives its messages consecutive offsets and one timestamp. Another node's
     * publish may come between two calls of one long batch.
     */
    @Override
    public CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data) {
        int size = data.size();
        if (closed) {
            return CompletableFuture.completedFuture(Collections.nCopies(size, closedRefusal()));
        }
        Object[] items = data.toArray();
        long[] weights = new long[items.length];
        byte[][] payloads = new byte[items.length][];
        for (int i = 0; i < items.length; i++) {
            @SuppressWarnings("unchecked")
            T item = (T) items[i];
            if (item == null) {
                throw new NullPointerException("data[" + i + "] is null; nothing of the batch was published");
            }
            weights[i] = bounds.keeps ? weigh(item) : 0;
            payloads[i] = codec.encode(item);
        }
        Instant now = clock.now();
        FunctionCalls.TopicNames names = calls.names(topic);
        List<CompletableFuture<List<PublishResult>>> chunks = new ArrayList<>();
        for (int from = 0; from < items.length; from += BATCH_CHUNK) {
            int count = Math.min(BATCH_CHUNK, items.length - from);
            byte[][] args = calls.publishArgs(names, now, count);
            for (int i = 0; i < count; i++) {
                args[FunctionCalls.PUBLISH_FIXED_ARGS + 2 * i] = Library.arg(weights[from + i]);
                args[FunctionCalls.PUBLISH_FIXED_ARGS + 2 * i + 1] = payloads[from + i];
            }
            chunks.add(calls.publish(names, args).handle((reply, failure) -> {
                if (failure != null) {
                    return Collections.nCopies(count, refusal(names, failure));
                }
                String epoch = Library.string(reply, 0);
                FunctionCalls.epochTaken(names, epoch);
                long first = Library.number(reply, 1);
                List<PublishResult> results = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    long offset = first + i;
                    results.add(new PublishResult.Accepted(epoch + "-" + offset, topic, offset, epoch, now));
                }
                return results;
            }).toCompletableFuture());
        }
        return CompletableFuture.allOf(chunks.toArray(new CompletableFuture<?>[0])).thenApply(ignored -> {
            List<PublishResult> all = new ArrayList<>(size);
            for (CompletableFuture<List<PublishResult>> chunk : chunks) {
                all.addAll(chunk.join());
            }
            return all;
        });
    }

    private long weigh(T data) {
        long weight = weigher.applyAsLong(data);
        if (weight < 0) {
            throw new IllegalStateException("the payload weigher returned " + weight + "; nothing was published");
        }
        return weight;
    }

    private PublishResult refusal(FunctionCalls.TopicNames names, Throwable failure) {
        // The call may have run and created the topic with the proposed epoch before its answer was lost: propose
        // another one from now on, or a later lifetime could get the same.
        names.proposedEpoch = FunctionCalls.newEpoch();
        if (closed) {
            return closedRefusal();
        }
        counters.publishFailures.increment();
        return new PublishResult.Rejected(RejectReason.ENGINE_UNAVAILABLE, describe(failure));
    }

    private static PublishResult closedRefusal() {
        return new PublishResult.Rejected(RejectReason.BROKER_CLOSED, "broker is closed");
    }

    /** See {@link FunctionCalls#sending}. */
    <V> CompletionStage<V> sending(java.util.function.Supplier<CompletionStage<V>> command) {
        return calls.sending(command);
    }

    // ---------------------------------------------------------------- reading

    @Override
    public CompletionStage<History<T>> read(String topic, HistoryQuery query) {
        if (closed) {
            return CompletableFuture.failedFuture(new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed"));
        }
        return readReply(topic, query.afterOffset(), query.limit(), query.latest())
                .thenApply(reply -> history(topic, reply))
                .exceptionallyCompose(failure -> CompletableFuture.failedFuture(unavailable(failure)));
    }

    /** The raw reply of the read function: epoch, last offset, oldest offset, then offset, timestamp, data. */
    CompletionStage<List<Object>> readReply(String topic, long after, int limit, boolean latest) {
        return calls.read(topic, after, limit, latest, clock.now());
    }

    private History<T> history(String topic, List<Object> reply) {
        String epoch = Library.string(reply, 0);
        if (epoch.isEmpty()) {
            return new History<>(List.of(), new StreamPosition(0, ""), 1);
        }
        return new History<>(messages(topic, epoch, reply, 3), new StreamPosition(Library.number(reply, 1), epoch),
                Library.number(reply, 2));
    }

    /** The messages of a read reply, from {@code start}: triples of offset, timestamp and data. */
    List<Message<T>> messages(String topic, String epoch, List<Object> reply, int start) {
        int count = (reply.size() - start) / 3;
        List<Message<T>> messages = new ArrayList<>(count);
        String idPrefix = epoch + "-";
        for (int i = start; i + 2 < reply.size(); i += 3) {
            messages.add(Message.withIdPrefix(idPrefix, topic, Library.number(reply, i),
                    Bounds.instantOfNanos(Library.number(reply, i + 1)), codec.decode(Library.bytes(reply, i + 2))));
        }
        return messages;
    }

    /** The messages of a live frame with an offset above {@code after}. */
    List<Message<T>> messages(String topic, LiveFrame frame, long after) {
        int skip = (int) Math.max(0, Math.min(frame.count, after - frame.firstOffset + 1));
        List<Message<T>> messages = new ArrayList<>(frame.count - skip);
        String idPrefix = frame.epoch + "-";
        Instant timestamp = Bounds.instantOfNanos(frame.timestampNanos);
        for (int i = skip; i < frame.count; i++) {
            messages.add(Message.withIdPrefix(idPrefix, topic, frame.firstOffset + i, timestamp,
                    codec.decode(frame.payload(i))));
        }
        return messages;
    }

    @Override
    public CompletionStage<Optional<TopicStats>> topicStats(String topic) {
        if (closed) {
            return CompletableFuture.failedFuture(new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed"));
        }
        return calls.stats(topic, clock.now()).thenApply(reply -> {
            String epoch = Library.string(reply, 0);
            if (epoch.isEmpty()) {
                return Optional.<TopicStats>empty();
            }
            return Optional.of(new TopicStats(topic, new StreamPosition(Library.number(reply, 1), epoch),
                    Library.number(reply, 2), Library.number(reply, 3), 0));
        }).exceptionallyCompose(failure -> CompletableFuture.failedFuture(unavailable(failure)));
    }

    /** Makes sure the topic exists and keeps its keys alive: {@code {epoch, last offset}}. */
    CompletionStage<List<Object>> ensure(String topic) {
        return calls.ensure(topic);
    }

    /** Starts a new lifetime of the topic if it still has {@code epoch}: {@code {epoch, last offset}}. */
    CompletionStage<List<Object>> restart(String topic, String epoch) {
        return calls.restart(topic, epoch);
    }

    // ---------------------------------------------------------------- interest

    @Override
    public CompletionStage<Void> interest(String filter, boolean interested) {
        if (closed) {
            return interested
                    ? CompletableFuture.failedFuture(new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed"))
                    : DONE;
        }
        if (Topics.isPattern(filter)) {
            return interested ? patterns.interest(filter) : patterns.withdraw(filter);
        }
        if (!interested) {
            TopicFeed<T> feed = feeds.get(filter);
            if (feed != null) {
                feed.withdraw();
            }
            return DONE;
        }
        TopicFeed<T> feed = feeds.get(filter);
        if (feed == null) {
            if (feeds.size() >= maxTopics) {
                throw new HeraldException(RejectReason.TOO_MANY_TOPICS, "this node follows " + maxTopics
                        + " topics already; '" + filter + "' would pass the limit");
            }
            feed = feeds.computeIfAbsent(filter, topic -> new TopicFeed<>(this, topic));
        }
        return feed.awaitLive();
    }

    @Override
    public CompletionStage<Void> liveReached(String topic, StreamPosition position) {
        TopicFeed<T> feed = feeds.get(topic);
        return feed == null || closed ? DONE : feed.awaitHandedOn(position);
    }

    /** A feed found withdrawn while a subscription waited on it: declare the interest again, on a new feed. */
    CompletionStage<Void> interestAgain(String topic) {
        return interest(topic, true);
    }

    void removeFeed(String topic, TopicFeed<T> feed) {
        feeds.remove(topic, feed);
    }

    private void refreshTopics() {
        for (TopicFeed<T> feed : feeds.values()) {
            feed.refresh();
        }
        patterns.refreshGates();
    }

    // ---------------------------------------------------------------- link events (Lettuce threads)

    @Override
    public void shardMessage(byte[] channel, byte[] frame) {
        String topic = keys.topicOfShardChannel(channel);
        TopicFeed<T> feed = topic == null ? null : feeds.get(topic);
        if (feed != null) {
            counters.framesReceived.increment();
            feed.offerFrame(frame);
        }
    }

    @Override
    public void shardUnsubscribed(byte[] channel) {
        String topic = keys.topicOfShardChannel(channel);
        TopicFeed<T> feed = topic == null ? null : feeds.get(topic);
        if (feed != null) {
            feed.subscriptionEnded();
        }
    }

    @Override
    public void patternMessage(byte[] glob, byte[] channel, byte[] frame) {
        patterns.offerMessage(glob, channel, frame);
    }

    @Override
    public void patternSubscribed(byte[] glob) {
        patterns.confirmed(glob, true);
    }

    @Override
    public void patternUnsubscribed(byte[] glob) {
        patterns.confirmed(glob, false);
    }

    @Override
    public void connectionChanged(Object connection, boolean pubSub, boolean up) {
        if (closed) {
            return;
        }
        if (!up) {
            availability.lost(connection, pubSub);
            if (pubSub) {
                for (TopicFeed<T> feed : feeds.values()) {
                    feed.connectionLost();
                }
                patterns.connectionLost();
            }
        } else if (availability.back(connection)) {
            counters.reconnects.increment();
            if (pubSub) {
                for (TopicFeed<T> feed : feeds.values()) {
                    feed.resync();
                }
                patterns.resync();
            }
        }
    }

    @Override
    public void connectionClosed(Object connection) {
        availability.closed(connection);
    }

    // ---------------------------------------------------------------- for the feeds

    EngineListener<T> listener() {
        return listener;
    }

    RedisLink link() {
        return link;
    }

    Keys keys() {
        return keys;
    }

    ExecutorService dispatch() {
        return dispatch;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    boolean isClosed() {
        return closed;
    }

    /** Whether every connection to Redis is up. */
    boolean available() {
        return availability.available() && !closed;
    }

    String nodeId() {
        return nodeId;
    }

    /** A failure as the broker reports it: a refusal for an unreachable or failing store. */
    HeraldException unavailable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof HeraldException known) {
            return known;
        }
        if (closed) {
            return new HeraldException(RejectReason.BROKER_CLOSED, "broker is closed");
        }
        return new HeraldException(RejectReason.ENGINE_UNAVAILABLE, describe(cause));
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage();
        return "Redis: " + (message != null ? message : cause.getClass().getSimpleName());
    }

    // ---------------------------------------------------------------- status and lifecycle

    /**
     * The engine's state for operators.
     *
     * @return availability and counters
     */
    public EngineStatus status() {
        boolean available = available();
        String detail = closed ? "closed" : available ? "connected to " + link.describe()
                : "Redis at " + link.describe() + " unreachable: " + availability.problem();
        return new EngineStatus(available, detail, counters.snapshot(feeds.size(), patterns.globCount()));
    }

    @Override
    public long topicCount() {
        return feeds.size();
    }

    /** Nothing to sweep: every call trims its topic by age in Redis, and idle topics' keys expire there. */
    @Override
    public void sweep() {
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        try {
            link.close();
        } finally {
            dispatch.shutdown();
            try {
                if (!dispatch.awaitTermination(2, TimeUnit.SECONDS)) {
                    dispatch.shutdownNow();
                }
            } catch (InterruptedException e) {
                dispatch.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
