package dev.herald.redis.internal;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.RedisFunctionAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * What the single-server and the cluster link share: function calls on the command connection and subscriptions
 * on the pub/sub connection (a cluster's routes each by slot itself), and the way down.
 */
abstract class LettuceLink implements RedisLink {
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<byte[], byte[]> commands;
    final StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
    private final String description;

    LettuceLink(ClientResources resources, AbstractRedisClient client, StatefulConnection<byte[], byte[]> commands,
                StatefulRedisPubSubConnection<byte[], byte[]> pubSub, String description, Events events) {
        this.resources = resources;
        this.client = client;
        this.commands = commands;
        this.pubSub = pubSub;
        this.description = description;
        pubSub.addListener(new Lettuce.PubSubAdapter(events));
    }

    /** The function commands of the command connection. */
    abstract RedisFunctionAsyncCommands<byte[], byte[]> functions();

    @Override
    public CompletionStage<List<Object>> fcall(String function, byte[][] keys, byte[][] args) {
        return functions().fcall(function, ScriptOutputType.MULTI, keys, args);
    }

    @Override
    public CompletionStage<Void> ssubscribe(byte[] channel) {
        return pubSub.async().ssubscribe(channel);
    }

    @Override
    public CompletionStage<Void> sunsubscribe(byte[] channel) {
        return pubSub.async().sunsubscribe(channel);
    }

    @Override
    public CompletionStage<Void> psubscribe(byte[] glob) {
        return pubSub.async().psubscribe(glob);
    }

    @Override
    public CompletionStage<Void> punsubscribe(byte[] glob) {
        return pubSub.async().punsubscribe(glob);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        try {
            pubSub.close();
            commands.close();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** Shuts down what a link that failed to connect had already started. */
    static void abandon(AbstractRedisClient client, ClientResources resources) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
