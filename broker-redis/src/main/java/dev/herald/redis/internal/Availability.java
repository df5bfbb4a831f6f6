package dev.herald.redis.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis can be reached: it can while none of the engine's connections is down. Each change is logged once,
 * however many connections go down or come back with it (Lettuce's reconnect attempts are not logged here).
 *
 * <p>Thread-safe; told of changes on Lettuce's threads.
 */
final class Availability {
    private static final Logger LOG = LoggerFactory.getLogger(RedisTopicEngine.class);

    private final String nodeId;
    private final IntSupplier followedTopics;
    private final Set<Object> down = ConcurrentHashMap.newKeySet();
    private volatile String lastProblem = "";
    private volatile String where = "?";
    /** Guarded by this: the state last logged, and since when Redis has been unreachable. */
    private boolean loggedAvailable = true;
    private long unavailableSinceNanos;

    Availability(String nodeId, IntSupplier followedTopics) {
        this.nodeId = nodeId;
        this.followedTopics = followedTopics;
    }

    /** Where the engine connects to, once known, for log lines. */
    void connectedTo(String description) {
        this.where = description;
    }

    boolean available() {
        return down.isEmpty();
    }

    String problem() {
        return lastProblem;
    }

    void lost(Object connection, boolean pubSub) {
        down.add(connection);
        lastProblem = (pubSub ? "pub/sub" : "command") + " connection to Redis lost";
        log();
    }

    /** A connection is up again; returns whether it had been down, and so is a reconnect. */
    boolean back(Object connection) {
        boolean was = down.remove(connection);
        if (was) {
            log();
        }
        return was;
    }

    /** A connection was closed on purpose: it will not come back, and no longer counts as down. */
    void closed(Object connection) {
        if (down.remove(connection)) {
            log();
        }
    }

    private synchronized void log() {
        boolean now = down.isEmpty();
        if (now == loggedAvailable) {
            return;
        }
        loggedAvailable = now;
        if (!now) {
            unavailableSinceNanos = System.nanoTime();
            LOG.warn("Herald node {}: Redis at {} unreachable ({}); publishes are refused with engine_unavailable "
                    + "until it is back, open subscriptions wait", nodeId, where, lastProblem);
        } else {
            LOG.info("Herald node {}: Redis reachable again after {} ms; {} topics catch up from their last offset",
                    nodeId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unavailableSinceNanos),
                    followedTopics.getAsInt());
        }
    }
}
