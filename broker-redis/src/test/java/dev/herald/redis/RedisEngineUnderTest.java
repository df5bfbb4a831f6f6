package dev.herald.redis;

import dev.herald.core.contract.EngineUnderTest;
import dev.herald.core.spi.EngineFactory;

/** The Redis engine, on one server or on a cluster, as the contract suites see it. */
final class RedisEngineUnderTest implements EngineUnderTest {
    static final RedisEngineUnderTest INSTANCE = new RedisEngineUnderTest(false);
    static final RedisEngineUnderTest CLUSTER = new RedisEngineUnderTest(true);

    private final boolean cluster;

    private RedisEngineUnderTest(boolean cluster) {
        this.cluster = cluster;
    }

    @Override
    public EngineFactory<String> freshEngine() {
        return cluster ? SharedRedis.freshClusterEngine(PayloadCodec.utf8())
                : SharedRedis.freshEngine(PayloadCodec.utf8());
    }

    @Override
    public boolean keepsIdleTopics() {
        return true;
    }

    @Override
    public boolean deliversBeforePublishCompletes() {
        return false;
    }

    @Override
    public boolean countsFollowedTopics() {
        return true;
    }

    @Override
    public boolean patternsMaySeeEarlierMessages() {
        return cluster;
    }
}
