package dev.herald.redis.internal;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of the library's functions (see {@code herald.lua}): their keys and arguments, and what happens when a
 * call fails before it ran (the library is missing; the connection was not up yet). Replies are returned raw; the
 * engine reads them.
 *
 * <p>A publish names five keys and channels of its topic; they are made once per topic and kept, up to
 * {@link #NAME_CACHE_LIMIT} topics, so that publishing to a topic again builds no strings.
 *
 * <p>Thread-safe.
 */
final class FunctionCalls {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionCalls.class);
    /** Arguments of a publish before its (weight, payload) pairs. */
    static final int PUBLISH_FIXED_ARGS = 11;
    private static final int NAME_CACHE_LIMIT = 100_000;
    private static final int NEVER_SENT_RETRIES = 5;
    private static final byte[] ONE = Library.arg(1);
    private static final byte[] ZERO = Library.arg(0);

    private final RedisLink link;
    private final Keys keys;
    private final Bounds bounds;
    private final byte[] ttlMillis;
    private final ScheduledExecutorService timer;
    private final EngineCounters counters;
    private final BooleanSupplier available;
    private final ConcurrentHashMap<String, TopicNames> names = new ConcurrentHashMap<>();

    FunctionCalls(RedisLink link, Keys keys, Bounds bounds, long ttlMillis, ScheduledExecutorService timer,
                  EngineCounters counters, BooleanSupplier available) {
        this.link = link;
        this.keys = keys;
        this.bounds = bounds;
        this.ttlMillis = Library.arg(ttlMillis);
        this.timer = timer;
        this.counters = counters;
        this.available = available;
    }

    /**
     * A topic's names, and the epoch a publish proposes should it create the topic. The proposal is kept until a
     * publish reports that it was taken (see {@link #epochTaken}): two lifetimes of a topic must never share one.
     */
    static final class TopicNames {
        final byte[][] publishKeys;
        final byte[][] topicKeys;
        final byte[] shardChannel;
        final byte[] patternChannel;
        volatile String proposedEpoch = newEpoch();

        TopicNames(Keys keys, String topic) {
            byte[] meta = keys.meta(topic);
            byte[] log = keys.log(topic);
            this.publishKeys = new byte[][] {meta, log, keys.gate(topic)};
            this.topicKeys = new byte[][] {meta, log};
            this.shardChannel = keys.shardChannel(topic);
            this.patternChannel = keys.patternChannel(topic);
        }
    }

    TopicNames names(String topic) {
        TopicNames known = names.get(topic);
        if (known != null) {
            return known;
        }
        TopicNames made = new TopicNames(keys, topic);
        if (names.size() < NAME_CACHE_LIMIT) {
            TopicNames raced = names.putIfAbsent(topic, made);
            return raced != null ? raced : made;
        }
        return made;
    }

    /** A random epoch, for a topic that a call may create. */
    static String newEpoch() {
        return "r" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    /**
     * The arguments of a publish of {@code count} messages, their pairs left empty for the caller to fill in from
     * {@link #PUBLISH_FIXED_ARGS} on.
     */
    byte[][] publishArgs(TopicNames topic, Instant now, int count) {
        byte[][] args = new byte[PUBLISH_FIXED_ARGS + 2 * count][];
        args[0] = topic.shardChannel;
        args[1] = topic.patternChannel;
        args[2] = Library.arg(topic.proposedEpoch);
        args[3] = bounds.keeps ? ONE : ZERO;
        args[4] = bounds.maxCount;
        args[5] = bounds.maxBytes;
        args[6] = bounds.cutoff(now);
        args[7] = ttlMillis;
        args[8] = Library.arg(Bounds.nanos(now));
        args[9] = Library.arg(Bounds.micros(now));
        args[10] = count == 1 ? ONE : Library.arg(count);
        return args;
    }

    /** After a publish that answered {@code epoch}: if it took the proposal, the next publish proposes another. */
    static void epochTaken(TopicNames topic, String epoch) {
        if (epoch.equals(topic.proposedEpoch)) {
            topic.proposedEpoch = newEpoch();
        }
    }

    CompletionStage<List<Object>> publish(TopicNames topic, byte[][] args) {
        return call(Library.PUBLISH, topic.publishKeys, args);
    }

    /** {@code {epoch ('' if none), last offset, oldest offset, then offset, timestamp, data of each}}. */
    CompletionStage<List<Object>> read(String topic, long after, int limit, boolean latest, Instant now) {
        byte[][] args = {Library.arg(after), Library.arg(limit), latest ? ONE : ZERO, bounds.maxCount,
                bounds.maxBytes, bounds.cutoff(now)};
        return call(Library.READ, names(topic).topicKeys, args);
    }

    /** {@code {epoch ('' if none), last offset, retained count, retained bytes}}. */
    CompletionStage<List<Object>> stats(String topic, Instant now) {
        return call(Library.STATS, names(topic).topicKeys,
                new byte[][] {bounds.maxCount, bounds.maxBytes, bounds.cutoff(now)});
    }

    /** Makes sure the topic exists and keeps its keys alive: {@code {epoch, last offset}}. */
    CompletionStage<List<Object>> ensure(String topic) {
        return call(Library.ENSURE, names(topic).topicKeys, new byte[][] {Library.arg(newEpoch()), ttlMillis});
    }

    /** Starts a new lifetime of the topic if it still has {@code epoch}: {@code {epoch, last offset}}. */
    CompletionStage<List<Object>> restart(String topic, String epoch) {
        return call(Library.RESTART, names(topic).topicKeys,
                new byte[][] {Library.arg(epoch), Library.arg(newEpoch()), ttlMillis});
    }

    /**
     * Calls a function; if Redis lost the library (restarted without persistence), loads it again and retries once.
     * A call refused for a missing function did not run, so the retry cannot publish anything twice.
     */
    private CompletionStage<List<Object>> call(String function, byte[][] callKeys, byte[][] args) {
        return sending(() -> link.fcall(function, callKeys, args)).handle((reply, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(reply);
            }
            if (Library.isMissingFunction(failure)) {
                counters.libraryReloads.increment();
                LOG.warn("Redis has lost Herald's function library (restarted without persistence?); loading it "
                        + "again");
                return link.loadLibrary(Library.SOURCE).thenCompose(ignored -> link.fcall(function, callKeys, args))
                        .toCompletableFuture();
            }
            return CompletableFuture.<List<Object>>failedFuture(failure);
        }).thenCompose(stage -> stage);
    }

    /**
     * Runs a command, and runs it again (a few times, backing off) if Lettuce refused it before writing it because
     * its connection was not up yet: on a cluster, a node's connection opens on its first command, for instance
     * after the topology changed. Nothing was sent, so this cannot run anything twice. While Redis is known to be
     * down, the refusal is returned at once.
     */
    <V> CompletionStage<V> sending(Supplier<CompletionStage<V>> command) {
        return sending(command, 0);
    }

    private <V> CompletionStage<V> sending(Supplier<CompletionStage<V>> command, int retries) {
        return command.get().handle((value, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(value);
            }
            if (!Library.isNeverSent(failure) || !available.getAsBoolean() || retries >= NEVER_SENT_RETRIES) {
                return CompletableFuture.<V>failedFuture(failure);
            }
            CompletableFuture<V> retried = new CompletableFuture<>();
            try {
                timer.schedule(() -> sending(command, retries + 1).whenComplete((v, f) -> {
                    if (f != null) {
                        retried.completeExceptionally(f);
                    } else {
                        retried.complete(v);
                    }
                }), 10L << retries, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                retried.completeExceptionally(failure);
            }
            return retried;
        }).thenCompose(stage -> stage);
    }
}
