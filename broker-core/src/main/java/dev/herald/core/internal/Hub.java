package dev.herald.core.internal;

import dev.herald.core.Message;
import dev.herald.core.Topics;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Node-local routing: which open subscriptions match a topic.
 *
 * <p>Exact subscriptions live in a map from topic to a copy-on-write array; patterns live in a
 * {@link PatternIndex}. Routing a message costs one map lookup plus a trie walk when patterns exist, whatever
 * the number of unrelated topics and subscriptions.
 *
 * <p>Concurrency: {@link #onMessage} is lock-free and may run concurrently for different topics. Registration
 * changes are atomic per filter, and the engine's interest is declared and withdrawn inside them, so interest
 * calls for one filter are ordered.
 *
 * @param <T> payload type
 */
final class Hub<T> implements EngineListener<T> {
    private static final BrokerSubscription<?>[] EMPTY = new BrokerSubscription<?>[0];

    private final Engine<T> engine;
    private final ConcurrentHashMap<String, BrokerSubscription<T>[]> exact = new ConcurrentHashMap<>();
    private final PatternIndex<BrokerSubscription<T>> patterns = new PatternIndex<>();
    private final AtomicInteger blocking = new AtomicInteger();

    Hub(Engine<T> engine) {
        this.engine = engine;
    }

    @Override
    public void onMessage(Message<T> message) {
        BrokerSubscription<T>[] subscribers = exact.get(message.topic());
        if (subscribers != null) {
            for (BrokerSubscription<T> subscription : subscribers) {
                subscription.offer(message);
            }
        }
        if (!patterns.isEmpty()) {
            patterns.forEachMatch(message.topic(), subscription -> subscription.offer(message));
        }
    }

    /** Adds a subscription; declares interest to the engine if it is the first for its filter. */
    @SuppressWarnings("unchecked")
    void register(BrokerSubscription<T> subscription) {
        String filter = subscription.filter();
        if (Topics.isPattern(filter)) {
            synchronized (patterns) {
                if (patterns.add(filter, subscription)) {
                    try {
                        engine.interest(filter, true);
                    } catch (RuntimeException e) {
                        patterns.remove(filter, subscription);
                        throw e;
                    }
                }
            }
        } else {
            exact.compute(filter, (topic, current) -> {
                if (current == null) {
                    engine.interest(topic, true);
                    current = (BrokerSubscription<T>[]) EMPTY;
                }
                BrokerSubscription<T>[] grown = Arrays.copyOf(current, current.length + 1);
                grown[current.length] = subscription;
                return grown;
            });
        }
        if (subscription.blocksPublishers()) {
            blocking.incrementAndGet();
        }
    }

    /** Removes a subscription; withdraws interest if it was the last for its filter. Idempotent. */
    void unregister(BrokerSubscription<T> subscription) {
        String filter = subscription.filter();
        boolean[] removed = new boolean[1];
        if (Topics.isPattern(filter)) {
            synchronized (patterns) {
                int before = patterns.size();
                if (patterns.remove(filter, subscription)) {
                    engine.interest(filter, false);
                }
                removed[0] = patterns.size() < before;
            }
        } else {
            exact.computeIfPresent(filter, (topic, current) -> {
                int index = indexOf(current, subscription);
                if (index < 0) {
                    return current;
                }
                removed[0] = true;
                if (current.length == 1) {
                    engine.interest(topic, false);
                    return null;
                }
                BrokerSubscription<T>[] shrunk = Arrays.copyOf(current, current.length - 1);
                System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
                return shrunk;
            });
        }
        if (removed[0] && subscription.blocksPublishers()) {
            blocking.decrementAndGet();
        }
    }

    /**
     * Waits until every matching subscription with the block policy has room, each up to its own timeout from
     * {@code startNanos}.
     *
     * @return {@code false} if one stayed full past its timeout
     */
    boolean awaitRoom(String topic, long startNanos) {
        if (blocking.get() == 0) {
            return true;
        }
        BrokerSubscription<T>[] subscribers = exact.get(topic);
        if (subscribers != null) {
            for (BrokerSubscription<T> subscription : subscribers) {
                if (!subscription.awaitRoom(startNanos)) {
                    return false;
                }
            }
        }
        boolean[] timedOut = new boolean[1];
        patterns.forEachMatch(topic, subscription -> {
            if (!timedOut[0] && !subscription.awaitRoom(startNanos)) {
                timedOut[0] = true;
            }
        });
        return !timedOut[0];
    }

    /** The number of exact subscriptions to a topic. */
    int subscriberCount(String topic) {
        BrokerSubscription<T>[] subscribers = exact.get(topic);
        return subscribers == null ? 0 : subscribers.length;
    }

    private static int indexOf(Object[] array, Object value) {
        for (int i = 0; i < array.length; i++) {
            if (array[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
