package dev.herald.redis.internal;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The engine's connections to Redis, a single server or a cluster: one multiplexed connection for commands and
 * one for pub/sub (on a cluster, one of each per node, which Lettuce routes by slot). Everything is asynchronous;
 * no method blocks except {@link #close()}.
 *
 * <p>Commands fail fast while a connection is down (none are queued for later), and a command in flight when its
 * connection drops fails rather than being sent again: a publish that was sent twice would be published twice.
 */
public interface RedisLink extends AutoCloseable {

    /** What the link reports; called on Lettuce's threads, in each connection's order. Must not block. */
    public interface Events {
        void shardMessage(byte[] channel, byte[] frame);

        void patternMessage(byte[] glob, byte[] channel, byte[] frame);

        /**
         * Redis ended a sharded subscription: it confirms an unsubscribe, or (on a cluster) the channel's slot
         * moved to another node, which ends the subscriptions to it there.
         */
        void shardUnsubscribed(byte[] channel);

        void patternSubscribed(byte[] glob);

        void patternUnsubscribed(byte[] glob);

        /**
         * A connection went down or came up (the first time, or again).
         *
         * @param connection identifies the connection: a cluster has one of each kind per node
         * @param pubSub     whether it is a pub/sub connection
         * @param up         whether it is up now
         */
        void connectionChanged(Object connection, boolean pubSub, boolean up);

        /**
         * A connection was closed on purpose (Lettuce closes the connections it opens to refresh a cluster's
         * topology, and those of nodes that left): it will not come back, and no longer counts as down.
         *
         * @param connection the connection
         */
        void connectionClosed(Object connection);
    }

    /** Calls a function of the library with the keys of one topic; routed to the topic's shard. */
    CompletionStage<List<Object>> fcall(String function, byte[][] keys, byte[][] args);

    /** Loads (or replaces) the function library on every primary. */
    CompletionStage<Void> loadLibrary(String source);

    CompletionStage<Void> ssubscribe(byte[] channel);

    CompletionStage<Void> sunsubscribe(byte[] channel);

    CompletionStage<Void> psubscribe(byte[] glob);

    CompletionStage<Void> punsubscribe(byte[] glob);

    /** Sets each key to expire after {@code ttlMillis}, creating it if needed. */
    CompletionStage<Void> touchKeys(byte[][] keys, long ttlMillis);

    /** Where the link connects to, for log lines: URIs without credentials. */
    String describe();

    @Override
    void close();
}
