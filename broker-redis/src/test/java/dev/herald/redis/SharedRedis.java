package dev.herald.redis;

import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisCluster;
import dev.herald.redis.testing.RedisServer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Redis server for the tests of this JVM that do not need one of their own (the contract suites), and a way to
 * make engines on it that share nothing: each gets a key prefix of its own.
 */
final class SharedRedis {
    private static final AtomicLong PREFIXES = new AtomicLong();
    private static RedisServer server;
    private static RedisCluster cluster;

    private SharedRedis() {
    }

    /** The server, started on first use; the harness stops it when the JVM exits. */
    static synchronized RedisServer server() {
        if (server == null) {
            RedisAvailability.assumeRedisInstalled();
            server = RedisServer.start();
        }
        return server;
    }

    /** A three-primary cluster, started on first use; the harness stops it when the JVM exits. */
    static synchronized RedisCluster cluster() {
        if (cluster == null) {
            RedisAvailability.assumeRedisInstalled();
            cluster = RedisCluster.start(3);
        }
        return cluster;
    }

    /** A key prefix no other engine of this JVM uses. */
    static String freshPrefix() {
        return "t" + PREFIXES.incrementAndGet();
    }

    /** An engine on the shared server with a prefix of its own. */
    static <T> RedisEngine<T> freshEngine(PayloadCodec<T> codec) {
        return RedisEngine.builder(codec).uri(server().uri()).keyPrefix(freshPrefix()).build();
    }

    /** An engine on the shared cluster with a prefix of its own. */
    static <T> RedisEngine<T> freshClusterEngine(PayloadCodec<T> codec) {
        return RedisEngine.builder(codec).uris(cluster().seedUris()).cluster(true).keyPrefix(freshPrefix()).build();
    }
}
