package dev.herald.redis;

import dev.herald.core.contract.EngineUnderTest;
import dev.herald.core.spi.EngineFactory;

/** The Redis engine on one server, as the contract suites see it. */
final class RedisEngineUnderTest implements EngineUnderTest {
    static final RedisEngineUnderTest INSTANCE = new RedisEngineUnderTest();

    private RedisEngineUnderTest() {
    }

    @Override
    public EngineFactory<String> freshEngine() {
        return SharedRedis.freshEngine(PayloadCodec.utf8());
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
}
