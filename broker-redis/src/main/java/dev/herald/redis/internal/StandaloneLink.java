package dev.herald.redis.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisFunctionAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** A link to one Redis server: one command connection, one pub/sub connection. */
final class StandaloneLink extends LettuceLink {
    private final StatefulRedisConnection<byte[], byte[]> commands;

    private StandaloneLink(ClientResources resources, RedisClient client,
                           StatefulRedisConnection<byte[], byte[]> commands,
                           StatefulRedisPubSubConnection<byte[], byte[]> pubSub, String description, Events events) {
        super(resources, client, commands, pubSub, description, events);
        this.commands = commands;
        commands.addListener(Lettuce.stateListener(events, connection -> false));
        pubSub.addListener(Lettuce.stateListener(events, connection -> true));
    }

    /**
     * Connects; blocks until both connections are up.
     *
     * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached
     */
    static StandaloneLink connect(RedisURI uri, Duration connectTimeout, Duration commandTimeout, Events events) {
        ClientResources resources = Lettuce.resources();
        RedisClient client = RedisClient.create(resources, uri);
        try {
            ClientOptions.Builder options = ClientOptions.builder();
            Lettuce.configure(options, connectTimeout, commandTimeout);
            client.setOptions(options.build());
            StatefulRedisConnection<byte[], byte[]> commands = client.connect(ByteArrayCodec.INSTANCE);
            StatefulRedisPubSubConnection<byte[], byte[]> pubSub = client.connectPubSub(ByteArrayCodec.INSTANCE);
            return new StandaloneLink(resources, client, commands, pubSub, uri.toString(), events);
        } catch (RuntimeException e) {
            abandon(client, resources);
            throw e;
        }
    }

    @Override
    RedisFunctionAsyncCommands<byte[], byte[]> functions() {
        return commands.async();
    }

    @Override
    public CompletionStage<Void> loadLibrary(String source) {
        return commands.async().functionLoad(source, true).thenApply(name -> null);
    }

    @Override
    public CompletionStage<Void> touchKeys(byte[][] keys, long ttlMillis) {
        return commands.async().<Long>fcall(Library.TOUCH, ScriptOutputType.INTEGER, new byte[0][],
                Library.touchArgs(keys, ttlMillis)).thenApply(count -> null);
    }
}
