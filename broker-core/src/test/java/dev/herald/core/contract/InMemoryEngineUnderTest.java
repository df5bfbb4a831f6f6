package dev.herald.core.contract;

import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.spi.EngineFactory;

/** The in-memory engine, as the contract suites see it. */
public final class InMemoryEngineUnderTest implements EngineUnderTest {
    /** The one instance. */
    public static final InMemoryEngineUnderTest INSTANCE = new InMemoryEngineUnderTest();

    private InMemoryEngineUnderTest() {
    }

    @Override
    public EngineFactory<String> freshEngine() {
        return InMemoryEngine::new;
    }

    @Override
    public boolean keepsIdleTopics() {
        return false;
    }

    @Override
    public boolean deliversBeforePublishCompletes() {
        return true;
    }

    @Override
    public boolean countsFollowedTopics() {
        return false;
    }
}
