package dev.herald.server;

import dev.herald.redis.testing.RedisCluster;
import java.util.List;

/**
 * The checks of {@link SeveralNodesTest}, with the three servers on a Redis Cluster of three primaries that the test
 * makes: the topics' keys and channels live on the primaries that own their slots.
 */
class SeveralNodesOnClusterTest extends SeveralNodesTest {
    private RedisCluster cluster;

    @Override
    List<String> startRedis() {
        cluster = RedisCluster.start(3);
        return List.of("--redis", cluster.seedUriList(), "--redis-cluster");
    }

    @Override
    void stopRedis() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
