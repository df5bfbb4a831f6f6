package dev.herald.core.contract;

import dev.herald.core.spi.EngineFactory;
import java.time.Duration;

/**
 * An engine the contract suites run over: how to make one, and the few ways in which engines may differ without
 * breaking the contract. The in-memory engine and the Redis engine each have one.
 */
public interface EngineUnderTest {

    /**
     * A factory for a fresh engine, isolated from every engine made before (its own topics, its own epochs).
     *
     * @return the factory; each call may return a new one
     */
    EngineFactory<String> freshEngine();

    /**
     * Whether a topic that nobody subscribes to and that retains nothing keeps its epoch and offsets (a shared
     * store keeps it until it expires there), rather than being dropped and started again under a new epoch.
     *
     * @return {@code true} for a shared engine
     */
    boolean keepsIdleTopics();

    /**
     * Whether a message reaches the node's subscribers before its publish completes, as with the in-memory engine.
     * If not (a shared engine hands messages back through its store), the suites wait for deliveries, up to
     * {@link #deliveryTimeout()}, before they compare.
     *
     * @return {@code true} if delivery is done when the publish returns
     */
    boolean deliversBeforePublishCompletes();

    /**
     * What the broker's topic count counts: every topic that exists, or only those the node follows for its exact
     * subscriptions (a shared engine cannot count the store's topics cheaply).
     *
     * @return {@code true} if it counts followed topics only
     */
    boolean countsFollowedTopics();

    /**
     * Whether a pattern subscription may also get messages published moments before it was made, because they
     * reach the node by a path that is slower than the subscribe (a Redis Cluster carries classic pub/sub between its
     * nodes on its bus). Such messages are left out before the comparison; everything else must match.
     *
     * @return {@code true} if pattern subscriptions may see such messages
     */
    default boolean patternsMaySeeEarlierMessages() {
        return false;
    }

    /**
     * How long the suites wait for asynchronous deliveries before they call an observation wrong.
     *
     * @return the timeout
     */
    default Duration deliveryTimeout() {
        return Duration.ofSeconds(5);
    }
}
