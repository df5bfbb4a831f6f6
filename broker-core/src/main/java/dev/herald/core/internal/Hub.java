package dev.herald.core.internal;

import dev.herald.core.Message;
import dev.herald.core.Topics;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Node-local routing: which open subscriptions match a topic.
 *
 * <p>Exact subscriptions live in a map from topic to a {@link Route} (a copy-on-write array, and the ring its
 * queued subscriptions read); patterns live in a
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
    private final ConcurrentHashMap<String, Route<T>> exact = new ConcurrentHashMap<>();
    private final PatternIndex<BrokerSubscription<T>> patterns = new PatternIndex<>();
    private final AtomicInteger blocking = new AtomicInteger();

    Hub(Engine<T> engine) {
        this.engine = engine;
    }

    /**
     * The exact subscriptions of one topic, and the ring its queued ones read.
     *
     * <p>Concurrency: {@code subscribers} and {@code ring} change only inside the hub's {@code compute} for the
     * topic; {@link #dispatch} runs for one topic at a time (the engine's contract) and reads them lock-free.
     * {@code dispatchCount} is odd while a dispatch runs: a direct subscription that closes waits, through
     * {@link #awaitDispatch}, for the dispatch that may be calling it, which is how "no callback after close
     * returns" holds without a lock per delivery.
     */
    static final class Route<T> implements TopicRing.CursorSource {
        private static final VarHandle DISPATCH_COUNT;

        static {
            try {
                DISPATCH_COUNT = MethodHandles.lookup().findVarHandle(Route.class, "dispatchCount", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unchecked")
        volatile BrokerSubscription<T>[] subscribers = (BrokerSubscription<T>[]) EMPTY;
        volatile TopicRing<T> ring;
        private volatile long dispatchCount;
        private volatile Thread dispatcher;

        /** Hands a message to every exact subscription; returns how many direct ones were called. */
        int dispatch(Message<T> message) {
            TopicRing<T> ring = this.ring;
            BrokerSubscription<T>[] subscribers = this.subscribers;
            long sequence = ring == null ? 0 : ring.append(message, this);
            dispatcher = Thread.currentThread();
            // A volatile store: also orders the ring's tail before the subscriptions' flags read below.
            dispatchCount++;
            int direct = 0;
            try {
                for (BrokerSubscription<T> subscription : subscribers) {
                    if (subscription.offer(message, sequence)) {
                        direct++;
                    }
                }
            } finally {
                DISPATCH_COUNT.setRelease(this, dispatchCount + 1);
            }
            return direct;
        }

        /** Waits until a dispatch in progress on another thread has finished. */
        void awaitDispatch() {
            long count = dispatchCount;
            if ((count & 1) == 0 || dispatcher == Thread.currentThread()) {
                return;
            }
            for (int spins = 0; dispatchCount == count; spins++) {
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        @Override
        public long lowestCursor() {
            long lowest = ring.tail();
            for (BrokerSubscription<T> subscription : subscribers) {
                lowest = Math.min(lowest, subscription.ringCursor());
            }
            return lowest;
        }
    }

    @Override
    public void onMessage(Message<T> message) {
        Route<T> route = exact.get(message.topic());
        if (route != null) {
            // Direct deliveries are added to the broker's counter once per message, not once per subscriber.
            int direct = route.dispatch(message);
            if (direct > 0) {
                route.subscribers[0].countDirectDeliveries(direct);
            }
        }
        if (!patterns.isEmpty()) {
            patterns.forEachMatch(message.topic(), subscription -> {
                if (subscription.offer(message, 0)) {
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
            exact.compute(filter, (topic, route) -> {
                if (route == null) {
                    created[0] = true;
                    route = new Route<>();
                }
                if (subscription.readsRing()) {
                    if (route.ring == null) {
                        route.ring = new TopicRing<>();
                    }
                    route.ring.admitReader(subscription.capacity());
                }
                subscription.attach(route);
                BrokerSubscription<T>[] current = route.subscribers;
                BrokerSubscription<T>[] grown = Arrays.copyOf(current, current.length + 1);
                grown[current.length] = subscription;
                route.subscribers = grown;
                return route;
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
            exact.computeIfPresent(filter, (topic, route) -> {
                BrokerSubscription<T>[] current = route.subscribers;
                int index = indexOf(current, subscription);
                if (index < 0) {
                    return route;
                }
                removed[0] = true;
                if (current.length == 1) {
                    emptied[0] = true;
                    return null;
                }
                BrokerSubscription<T>[] shrunk = Arrays.copyOf(current, current.length - 1);
                System.arraycopy(current, index + 1, shrunk, index, current.length - index - 1);
                route.subscribers = shrunk;
                return route;
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

    /** Whether a topic has exact subscriptions; {@code topic} may be any string, even {@code null}. */
    boolean hasExactSubscriptions(String topic) {
        return topic != null && exact.containsKey(topic);
    }

    /** Whether any subscription has the block policy, so that publishers may have to wait. */
    boolean hasBlockingSubscriptions() {
        return blocking.get() != 0;
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
        Route<T> route = exact.get(topic);
        if (route != null) {
            for (BrokerSubscription<T> subscription : route.subscribers) {
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
        Route<T> route = exact.get(topic);
        return route == null ? 0 : route.subscribers.length;
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
