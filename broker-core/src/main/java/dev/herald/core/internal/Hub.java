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
            // Direct deliveries are added to the broker's counter once per message, not once per subscriber.
            int direct = 0;
            for (BrokerSubscription<T> subscription : subscribers) {
                if (subscription.offer(message)) {
                    direct++;
                }
            }
            if (direct > 0) {
                subscribers[0].countDirectDeliveries(direct);
            }
        }
        if (!patterns.isEmpty()) {
            patterns.forEachMatch(message.topic(), subscription -> {
                if (subscription.offer(message)) {
                    subscription.countDirectDeliveries(1);
                }
            });
        }
    }

    /** Adds a subscription; declares interest to the engine if it is the first for its filter. */
    @SuppressWarnings("unchecked")
    void register(BrokerSubscription<T> subscription) {
        String filter = subscription.filter();
        boolean first;
        if (Topics.isPattern(filter)) {
            first = patterns.add(filter, subscription);
        } else {
            boolean[] created = new boolean[1];
            exact.compute(filter, (topic, current) -> {
                if (current == null) {
                    created[0] = true;
                    current = (BrokerSubscription<T>[]) EMPTY;
                }
                BrokerSubscription<T>[] grown = Arrays.copyOf(current, current.length + 1);
                grown[current.length] = subscription;
                return grown;
            });
            first = created[0];
        }
        if (subscription.blocksPublishers()) {
            blocking.incrementAndGet();
        }
        // Outside any hub lock: the engine may take a topic's lock, and a publisher holding that lock may be
        // calling a direct subscriber that subscribes or closes, which needs the hub.
        if (first) {
            try {
                engine.interest(filter, true);
            } catch (RuntimeException e) {
                unregister(subscription);
                throw e;
            }
        }
    }

    /** Removes a subscription; withdraws interest if it was the last for its filter. Idempotent. */
    void unregister(BrokerSubscription<T> subscription) {
        String filter = subscription.filter();
        boolean[] removed = new boolean[1];
        boolean last;
        if (Topics.isPattern(filter)) {
            synchronized (patterns) {
                int before = patterns.size();
                last = patterns.remove(filter, subscription);
                removed[0] = patterns.size() < before;
            }
        } else {
            boolean[] emptied = new boolean[1];
            exact.computeIfPresent(filter, (topic, current) -> {
                int index = indexOf(current, subscription);
                if (index < 0) {
                    return current;
                }
                removed[0] = true;
                if (current.length == 1) {
                    emptied[0] = true;
                    return null;
                }
                BrokerSubscription<T>[] shrunk = Arrays.copyOf(current, current.length - 1);
                System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
                return shrunk;
            });
            last = emptied[0];
        }
        if (removed[0] && subscription.blocksPublishers()) {
            blocking.decrementAndGet();
        }
        if (last) {
            engine.interest(filter, false);
        }
    }

    @Override
    public boolean hasSubscribers(String topic) {
        return exact.containsKey(topic) || patterns.anyMatch(topic);
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
