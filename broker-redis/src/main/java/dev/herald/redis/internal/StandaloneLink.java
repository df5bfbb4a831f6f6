package dev.herald.redis.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** A link to one Redis server: one command connection, one pub/sub connection. */
final class StandaloneLink implements RedisLink {
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> commands;
    private final StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
    private final String description;

    /**
     * Connects; blocks until both connections are up.
     *
     * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached
     */
    StandaloneLink(RedisURI uri, Duration connectTimeout, Duration commandTimeout, Events events) {
        this.resources = Lettuce.resources();
        this.description = uri.toString();
        RedisClient created = RedisClient.create(resources, uri);
        try {
            ClientOptions.Builder options = ClientOptions.builder();
            Lettuce.configure(options, connectTimeout, commandTimeout);
            created.setOptions(options.build());
            this.commands = created.connect(ByteArrayCodec.INSTANCE);
            this.pubSub = created.connectPubSub(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            created.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown();
            throw e;
        }
        this.client = created;
        pubSub.addListener(new Lettuce.PubSubAdapter(events));
        commands.addListener(Lettuce.stateListener(events, connection -> false));
        pubSub.addListener(Lettuce.stateListener(events, connection -> true));
    }

    @Override
    public CompletionStage<List<Object>> fcall(String function, byte[][] keys, byte[][] args) {
        return commands.async().fcall(function, ScriptOutputType.MULTI, keys, args);
    }

    @Override
    public CompletionStage<Void> loadLibrary(String source) {
        return commands.async().functionLoad(source, true).thenApply(name -> null);
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
    public CompletionStage<Void> touchKeys(byte[][] keys, long ttlMillis) {
        return commands.async().<Long>fcall(Library.TOUCH, ScriptOutputType.INTEGER, new byte[0][],
                Library.touchArgs(keys, ttlMillis)).thenApply(count -> null);
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
            resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
