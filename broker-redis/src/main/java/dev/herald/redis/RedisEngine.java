package dev.herald.redis;

import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineContext;
import dev.herald.core.spi.EngineFactory;
import dev.herald.core.spi.EngineStatus;
import dev.herald.redis.internal.RedisLinks;
import dev.herald.redis.internal.RedisTopicEngine;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Herald on Redis: a broker engine that keeps topics, offsets and history in Redis, so that any number of nodes
 * (servers or embedded brokers) share them. Hand it to {@link dev.herald.core.BrokerBuilder#engine}:
 *
 * <pre>{@code
 * RedisEngine<String> redis = RedisEngine.builder(PayloadCodec.utf8()).uri("redis://localhost:6379").build();
 * Broker<String> broker = Broker.<String>builder()
 *         .history(HistoryPolicy.lastN(1000))
 *         .engine(redis)
 *         .build();                    // connects to Redis; fails here if it cannot
 * redis.status();                      // for health checks: is Redis reachable?
 * }</pre>
 *
 * <p>What every node sees: per topic, gapless offsets from 1 within an epoch, the same order and the same history,
 * whichever node published; a message published on one node reaches the subscribers on all of them. A node
 * receives a topic's traffic only while it has subscribers to it. A client may resume on any node from the offset
 * and epoch another node gave it. Publishes complete once Redis stored the message; while Redis cannot be reached
 * they are refused at once with {@link dev.herald.core.RejectReason#ENGINE_UNAVAILABLE}.
 *
 * <p>Only the built-in history policies can be used (their bounds are applied in Redis). Delivery policies,
 * subscriptions and wildcard matching stay in each node. {@link dev.herald.core.policy.DeliveryPolicy#direct()
 * Direct} subscribers are called on one of the engine's threads, one topic at a time.
 *
 * <p>Thread-safe. One instance makes one engine, for one broker.
 *
 * @param <T> payload type
 */
public final class RedisEngine<T> implements EngineFactory<T> {
    private final Builder<T> settings;
    private volatile RedisTopicEngine<T> engine;

    private RedisEngine(Builder<T> settings) {
        this.settings = settings;
    }

    /**
     * A builder for an engine whose payloads {@code codec} turns into bytes.
     *
     * @param codec the payload codec
     * @param <T>   payload type
     * @return a new builder
     */
    public static <T> Builder<T> builder(PayloadCodec<T> codec) {
        return new Builder<>(Objects.requireNonNull(codec, "codec"));
    }

    /**
     * Creates the engine and connects to Redis; the broker builder calls this.
     *
     * @param context the broker's settings
     * @return the engine
     * @throws IllegalStateException    if this instance already made an engine
     * @throws IllegalArgumentException if the broker's history policy is not a built-in one, or keeps messages
     *                                  longer than {@link Builder#topicTtl}
     * @throws io.lettuce.core.RedisException if Redis cannot be reached
     */
    @Override
    public synchronized Engine<T> create(EngineContext<T> context) {
        if (engine != null) {
            throw new IllegalStateException("this RedisEngine already made the engine of a broker");
        }
        RedisTopicEngine.Settings<T> engineSettings = new RedisTopicEngine.Settings<>(settings.codec,
                settings.keyPrefix, settings.cluster, settings.topicTtl, settings.nodeId);
        engine = new RedisTopicEngine<>(context, engineSettings, events -> settings.cluster
                ? RedisLinks.cluster(settings.uris, settings.connectTimeout, settings.commandTimeout, events)
                : RedisLinks.standalone(settings.uris.get(0), settings.connectTimeout, settings.commandTimeout,
                        events));
        return engine;
    }

    /**
     * Whether Redis is reachable now, and the engine's counters. Cheap; safe to call from an event loop.
     *
     * @return the status; not available before the broker was built or after it was closed
     */
    public EngineStatus status() {
        RedisTopicEngine<T> created = engine;
        return created == null ? new EngineStatus(false, "not started", Map.of()) : created.status();
    }

    /**
     * This node's name, as logged.
     *
     * @return the node id
     */
    public String nodeId() {
        return settings.nodeId;
    }

    /**
     * Builds a {@link RedisEngine}. Not thread-safe. Each setting may be made once; a bad value is reported at the
     * call that sets it.
     *
     * <p>Defaults: {@code redis://localhost:6379}, a single server, key prefix {@code herald}, 2 s to connect,
     * 2 s for a command to answer, idle topics kept for 30 days, a random node id.
     *
     * @param <T> payload type
     */
    public static final class Builder<T> {
        private final PayloadCodec<T> codec;
        private List<String> uris = List.of("redis://localhost:6379");
        private boolean urisSet;
        private boolean cluster;
        private boolean clusterSet;
        private String keyPrefix = "herald";
        private boolean prefixSet;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private boolean connectTimeoutSet;
        private Duration commandTimeout = Duration.ofSeconds(2);
        private boolean commandTimeoutSet;
        private Duration topicTtl = Duration.ofDays(30);
        private boolean topicTtlSet;
        private String nodeId = "node-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36);
        private boolean nodeIdSet;

        private Builder(PayloadCodec<T> codec) {
            this.codec = codec;
        }

        /**
         * The Redis server, as a Lettuce URI: {@code redis://host:port}, {@code rediss://} for TLS, credentials
         * as {@code redis://user:password@host:port}, a database as {@code /2}.
         *
         * @param uri the URI
         * @return this builder
         * @throws IllegalArgumentException if the URI does not parse
         * @throws IllegalStateException    if the server was already set
         */
        public Builder<T> uri(String uri) {
            return uris(List.of(uri));
        }

        /**
         * Several URIs: for a cluster ({@link #cluster(boolean)}), the seed nodes it is discovered from; without
         * {@code cluster}, exactly one.
         *
         * @param uris the URIs, at least one
         * @return this builder
         * @throws IllegalArgumentException if a URI does not parse, or none is given
         * @throws IllegalStateException    if already set
         */
        public Builder<T> uris(List<String> uris) {
            requireUnset(urisSet, "uri");
            if (uris.isEmpty()) {
                throw new IllegalArgumentException("at least one Redis URI is needed");
            }
            for (String uri : uris) {
                RedisLinks.parse(uri);
            }
            this.uris = List.copyOf(uris);
            urisSet = true;
            return this;
        }

        /**
         * Whether the URIs name a Redis Cluster (default: a single server). On a cluster a topic's keys and its
         * sharded channel live on the primary that owns its slot, and topics spread over all primaries.
         *
         * @param cluster {@code true} for a cluster
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder<T> cluster(boolean cluster) {
            requireUnset(clusterSet, "cluster");
            this.cluster = cluster;
            clusterSet = true;
            return this;
        }

        /**
         * The prefix of every key and channel, so that several Herald deployments can share one Redis.
         *
         * @param prefix 1 to 32 ASCII letters, digits, {@code _} or {@code -}
         * @return this builder
         * @throws IllegalArgumentException if the prefix breaks the rule
         * @throws IllegalStateException    if already set
         */
        public Builder<T> keyPrefix(String prefix) {
            requireUnset(prefixSet, "keyPrefix");
            if (!prefix.matches("[A-Za-z0-9_-]{1,32}")) {
                throw new IllegalArgumentException("key prefix must be 1 to 32 ASCII letters, digits, '_' or '-', was '"
                        + prefix + "'");
            }
            this.keyPrefix = prefix;
            prefixSet = true;
            return this;
        }

        /**
         * How long to wait for a connection to Redis.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder<T> connectTimeout(Duration timeout) {
            requireUnset(connectTimeoutSet, "connectTimeout");
            this.connectTimeout = requirePositive(timeout, "connectTimeout");
            connectTimeoutSet = true;
            return this;
        }

        /**
         * How long a command may take before it fails: a publish that Redis does not answer in time is refused
         * with {@code ENGINE_UNAVAILABLE} (it may still have been stored).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder<T> commandTimeout(Duration timeout) {
            requireUnset(commandTimeoutSet, "commandTimeout");
            this.commandTimeout = requirePositive(timeout, "commandTimeout");
            commandTimeoutSet = true;
            return this;
        }

        /**
         * How long a topic's keys live in Redis after its last publish (nodes with subscribers keep it alive
         * meanwhile). A topic that expired starts again under a new epoch. Must exceed the history's age bound,
         * if any.
         *
         * @param ttl at least one minute
         * @return this builder
         * @throws IllegalArgumentException if shorter than a minute
         * @throws IllegalStateException    if already set
         */
        public Builder<T> topicTtl(Duration ttl) {
            requireUnset(topicTtlSet, "topicTtl");
            if (ttl.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("topicTtl must be at least one minute, was " + ttl);
            }
            this.topicTtl = ttl;
            topicTtlSet = true;
            return this;
        }

        /**
         * This node's name in logs (default: {@code node-} and a random suffix).
         *
         * @param nodeId 1 to 64 ASCII letters, digits, {@code . _ -}
         * @return this builder
         * @throws IllegalArgumentException if the name breaks the rule
         * @throws IllegalStateException    if already set
         */
        public Builder<T> nodeId(String nodeId) {
            requireUnset(nodeIdSet, "nodeId");
            if (!nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("node id must be 1 to 64 ASCII letters, digits, '.', '_' or '-', "
                        + "was '" + nodeId + "'");
            }
            this.nodeId = nodeId;
            nodeIdSet = true;
            return this;
        }

        /**
         * Builds the factory; nothing connects until a broker is built with it.
         *
         * @return the factory
         * @throws IllegalStateException if several URIs are given for a single server
         */
        public RedisEngine<T> build() {
            if (!cluster && uris.size() > 1) {
                throw new IllegalStateException("several Redis URIs need cluster(true); a single server takes one");
            }
            return new RedisEngine<>(this);
        }

        private static Duration requirePositive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }

        private static void requireUnset(boolean set, String name) {
            if (set) {
                throw new IllegalStateException(name + " was already set");
            }
        }
    }
}
