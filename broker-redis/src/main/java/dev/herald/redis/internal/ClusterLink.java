package dev.herald.redis.internal;

import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A link to a Redis Cluster. Commands go to the primary that owns their first key's slot; sharded subscriptions go
 * to the node that owns their channel's slot, over a pub/sub connection per node; pattern subscriptions go to one
 * node, since classic pub/sub messages reach every node of a cluster. The topology is refreshed periodically and
 * on redirects and reconnects, so slots that move are followed.
 */
final class ClusterLink implements RedisLink {
    private static final byte[] ONE = {'1'};

    private final ClientResources resources;
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<byte[], byte[]> commands;
    private final StatefulRedisClusterPubSubConnection<byte[], byte[]> pubSub;
    private final String description;

    /**
     * Connects to the cluster through the seed nodes; blocks until the topology is known and both connections are
     * up.
     *
     * @throws io.lettuce.core.RedisConnectionException if no seed can be reached
     */
    ClusterLink(List<RedisURI> seeds, Duration connectTimeout, Duration commandTimeout, Events events) {
        this.resources = Lettuce.resources();
        this.description = seeds.toString();
        RedisClusterClient created = RedisClusterClient.create(resources, seeds);
        try {
            ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(30)) // adaptive triggers are on by default
                            .build());
            Lettuce.configure(options, connectTimeout, commandTimeout);
            created.setOptions(options.build());
            // Node connections, pub/sub ones among them, report their state through the client.
            created.addListener(Lettuce.stateListener(events,
                    connection -> connection instanceof StatefulRedisPubSubConnection));
            this.commands = created.connect(ByteArrayCodec.INSTANCE);
            this.pubSub = created.connectPubSub(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            created.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown();
            throw e;
        }
        this.client = created;
        pubSub.addListener(new Lettuce.PubSubAdapter(events));
        // Open the connections to every primary now: Lettuce opens a node's connection on its first command, and
        // with commands refused while disconnected, that first command would fail.
        // Commands for a slot use the connection of the primary's host and port (not its node id).
        List<CompletionStage<?>> opening = new ArrayList<>();
        for (RedisClusterNode node : created.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                opening.add(commands.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
                opening.add(pubSub.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
            }
        }
        try {
            Lettuce.allOf(opening).toCompletableFuture().get(connectTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while connecting to the cluster's primaries", e);
        } catch (ExecutionException | TimeoutException e) {
            close();
            throw new IllegalStateException("could not connect to every primary of the cluster", e);
        }
    }

    @Override
    public CompletionStage<List<Object>> fcall(String function, byte[][] keys, byte[][] args) {
        return commands.async().fcall(function, ScriptOutputType.MULTI, keys, args);
    }

    @Override
    public CompletionStage<Void> loadLibrary(String source) {
        return commands.async().upstream().commands().functionLoad(source, true).thenApply(names -> null);
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

    /**
     * Keys of many slots (a pattern gate per slot) are many commands: they go one call per primary instead, each
     * with the keys of the slots it owns, straight to its connection. If the topology changed under the call (a
     * primary refuses a key it no longer owns), the keys are set one by one, routed by slot.
     */
    @Override
    public CompletionStage<Void> touchKeys(byte[][] keys, long ttlMillis) {
        Map<RedisClusterNode, List<byte[]>> byPrimary = new HashMap<>();
        for (byte[] key : keys) {
            RedisClusterNode owner = client.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            if (owner == null) {
                return oneByOne(keys, ttlMillis);
            }
            byPrimary.computeIfAbsent(owner, node -> new ArrayList<>()).add(key);
        }
        List<CompletionStage<?>> calls = new ArrayList<>();
        for (Map.Entry<RedisClusterNode, List<byte[]>> entry : byPrimary.entrySet()) {
            RedisURI uri = entry.getKey().getUri();
            byte[][] args = Library.touchArgs(entry.getValue().toArray(new byte[0][]), ttlMillis);
            calls.add(commands.getConnectionAsync(uri.getHost(), uri.getPort()).thenCompose(connection ->
                    connection.async().<Long>fcall(Library.TOUCH, ScriptOutputType.INTEGER, new byte[0][], args)));
        }
        return Lettuce.allOf(calls).handle((ignored, failure) -> failure)
                .thenCompose(failure -> failure == null ? CompletableFuture.completedFuture(null)
                        : oneByOne(keys, ttlMillis));
    }

    private CompletionStage<Void> oneByOne(byte[][] keys, long ttlMillis) {
        List<CompletionStage<?>> sets = new ArrayList<>(keys.length);
        for (byte[] key : keys) {
            sets.add(commands.async().set(key, ONE, SetArgs.Builder.px(ttlMillis)));
        }
        return Lettuce.allOf(sets);
    }

    @Override
    public String describe() {
        return "cluster " + description;
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
