package dev.herald.redis.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Lettuce settings and adapters shared by the single-server and the cluster link. */
final class Lettuce {
    private Lettuce() {
    }

    static ClientResources resources() {
        // Reconnects start at once and back off to a second: a node must notice Redis is back within a second or so,
        // and catch up from history, whatever the length of the outage.
        return DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 2,
                        java.util.concurrent.TimeUnit.MILLISECONDS))
                .build();
    }

    static SocketOptions socketOptions(Duration connectTimeout) {
        return SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).tcpNoDelay(true).build();
    }

    static TimeoutOptions timeouts(Duration commandTimeout) {
        return TimeoutOptions.enabled(commandTimeout);
    }

    /**
     * Fail fast while disconnected, and at most once: with {@code REJECT_COMMANDS} Lettuce fails the commands in
     * flight when a connection drops instead of sending them again after the reconnect. The request queue is
     * bounded, so a stalled connection cannot grow memory without limit.
     */
    static void configure(ClientOptions.Builder options, Duration connectTimeout, Duration commandTimeout) {
        options.autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(1 << 16)
                .pingBeforeActivateConnection(true)
                // Every command goes to a primary through its one (write) connection, subscriptions included: that
                // is the connection opened in advance, and the one a sharded channel's publishes come from.
                .readOnlyCommands(command -> false)
                .socketOptions(socketOptions(connectTimeout))
                .timeoutOptions(timeouts(commandTimeout));
    }

    static <T> CompletionStage<T> stage(RedisFuture<T> future) {
        return future;
    }

    static CompletionStage<Void> allOf(List<? extends CompletionStage<?>> stages) {
        List<CompletableFuture<?>> futures = new ArrayList<>(stages.size());
        for (CompletionStage<?> stage : stages) {
            futures.add(stage.toCompletableFuture());
        }
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    }

    /** Passes pub/sub callbacks to the engine. */
    static final class PubSubAdapter implements RedisPubSubListener<byte[], byte[]> {
        private final RedisLink.Events events;

        PubSubAdapter(RedisLink.Events events) {
            this.events = events;
        }

        @Override
        public void message(byte[] channel, byte[] message) {
        }

        @Override
        public void message(byte[] pattern, byte[] channel, byte[] message) {
            events.patternMessage(pattern, channel, message);
        }

        @Override
        public void subscribed(byte[] channel, long count) {
        }

        @Override
        public void psubscribed(byte[] pattern, long count) {
            events.patternSubscribed(pattern);
        }

        @Override
        public void unsubscribed(byte[] channel, long count) {
        }

        @Override
        public void punsubscribed(byte[] pattern, long count) {
            events.patternUnsubscribed(pattern);
        }

        @Override
        public void smessage(byte[] shardChannel, byte[] message) {
            events.shardMessage(shardChannel, message);
        }

        @Override
        public void sunsubscribed(byte[] shardChannel, long count) {
            events.shardUnsubscribed(shardChannel);
        }
    }

    /** Tells the engine when a connection goes down or comes back. */
    static RedisConnectionStateListener stateListener(RedisLink.Events events, java.util.function.Predicate<Object>
            isPubSub) {
        return new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection,
                                         java.net.SocketAddress address) {
                events.connectionChanged(connection, isPubSub.test(connection), true);
            }

            @Override
            public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> connection) {
                if (connection.isClosed()) {
                    events.connectionClosed(connection);
                } else {
                    events.connectionChanged(connection, isPubSub.test(connection), false);
                }
            }
        };
    }
}
