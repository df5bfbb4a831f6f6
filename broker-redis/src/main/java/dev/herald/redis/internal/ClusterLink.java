package dev.herald.redis.internal;

import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.api.async.RedisFunctionAsyncCommands;
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
final class ClusterLink extends LettuceLink {
    private static final byte[] ONE = {'1'};

    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<byte[], byte[]> commands;
    private final StatefulRedisClusterPubSubConnection<byte[], byte[]> clusterPubSub;

    private ClusterLink(ClientResources resources, RedisClusterClient client,
                        StatefulRedisClusterConnection<byte[], byte[]> commands,
                        StatefulRedisClusterPubSubConnection<byte[], byte[]> pubSub, String description,
                        Events events) {
        super(resources, client, commands, pubSub, description, events);
        this.client = client;
        this.commands = commands;
        this.clusterPubSub = pubSub;
    }

    /**
     * Connects to the cluster through the seed nodes; blocks until the topology is known and the connections to
     * every primary are up.
     *
     * @throws io.lettuce.core.RedisConnectionException if no seed can be reached
     * @throws IllegalStateException if a primary cannot be reached
     */
    static ClusterLink connect(List<RedisURI> seeds, Duration connectTimeout, Duration commandTimeout,
                               Events events) {
        ClientResources resources = Lettuce.resources();
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        ClusterLink link;
        try {
            ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(30)) // adaptive triggers are on by default
                            .build());
            Lettuce.configure(options, connectTimeout, commandTimeout);
            client.setOptions(options.build());
            // Node connections, pub/sub ones among them, report their state through the client.
            client.addListener(Lettuce.stateListener(events,
                    connection -> connection instanceof StatefulRedisPubSubConnection));
            link = new ClusterLink(resources, client, client.connect(ByteArrayCodec.INSTANCE),
                    client.connectPubSub(ByteArrayCodec.INSTANCE), "cluster " + seeds, events);
        } catch (RuntimeException e) {
            abandon(client, resources);
            throw e;
        }
        link.openPrimaries(connectTimeout);
        return link;
    }

    /**
     * Opens the connections to every primary now: Lettuce opens a node's connection on its first command, and with
     * commands refused while disconnected, that first command would fail. Commands for a slot use the connection
     * of the primary's host and port (not its node id).
     */
    private void openPrimaries(Duration timeout) {
        List<CompletionStage<?>> opening = new ArrayList<>();
        for (RedisClusterNode node : client.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                opening.add(commands.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
                opening.add(clusterPubSub.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
            }
        }
        try {
            Lettuce.allOf(opening).toCompletableFuture().get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
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
    RedisFunctionAsyncCommands<byte[], byte[]> functions() {
        return commands.async();
    }

    @Override
    public CompletionStage<Void> loadLibrary(String source) {
        return commands.async().upstream().commands().functionLoad(source, true).thenApply(names -> null);
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
}
