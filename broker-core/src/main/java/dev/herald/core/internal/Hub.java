package dev.herald.core.internal;

import dev.herald.core.CloseReason;
import dev.herald.core.Message;
import dev.herald.core.Topics;
import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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
    /**
     * Bumped after every change of the pattern index: a route's cached list of the patterns that match its topic
     * is good while it was computed under the current version.
     */
    private final AtomicLong patternsVersion = new AtomicLong();
    /** See {@link Route#awaitDispatch}. */
    private final ConcurrentHashMap<Thread, Route<?>> waits = new ConcurrentHashMap<>();
    private static final int MAX_WAIT_CHAIN = 64;
    /** Messages of a batch written to the ring between two wake-ups of its sleeping readers. */
    private static final int DISPATCH_CHUNK = 64;

    Hub(Engine<T> engine) {
        this.engine = engine;
    }

    /**
     * The exact subscriptions of one topic, and the ring its queued ones read.
     *
     * <p>{@code subscribers} holds all of them; {@code offered} those a dispatch must hand each message to. A
     * ring reader leaves {@code offered} once it is live and its drain has first gone idle: from then on a publish
     * touches nothing of it (it would share cache lines with the reader's thread), and wakes it through the ring's
     * sleepers instead.
     *
     * <p>Concurrency: the arrays change under the route's monitor (registration inside the hub's {@code compute}
     * for the topic); {@link #dispatch} runs for one topic at a time (the engine's contract) and reads them
     * lock-free. {@code dispatchCount} is odd while a dispatch runs: a direct subscription that closes waits,
     * through {@link #awaitDispatch}, for the dispatch that may be calling it, which is how "no callback after
     * close returns" holds without a lock per delivery.
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
        private volatile BrokerSubscription<T>[] subscribers = (BrokerSubscription<T>[]) EMPTY;
        @SuppressWarnings("unchecked")
        private volatile BrokerSubscription<T>[] offered = (BrokerSubscription<T>[]) EMPTY;
        private volatile TopicRing<T> ring;
        private volatile long dispatchCount;
        private volatile Thread dispatcher;
        /** The hub's record of which thread waits for which route's dispatch; touched only by waiting closes. */
        private final ConcurrentHashMap<Thread, Route<?>> waits;
        private final Hub<T> hub;
        /** The pattern subscriptions that match this topic, as of a version of the index; dispatch only. */
        private PatternMatches<T> patternMatches;

        Route(Hub<T> hub) {
            this.hub = hub;
            this.waits = hub.waits;
        }

        /**
         * The pattern subscriptions matching this topic. Recomputed only when the pattern index changed since
         * the last dispatch, so a publish to a subscribed topic does not walk the trie. A pattern that registers
         * while this runs is seen by this message or by the next, as with a walk. Dispatch only.
         */
        BrokerSubscription<T>[] patternMatches(String topic) {
            long version = hub.patternsVersion.get();
            PatternMatches<T> cached = patternMatches;
            if (cached == null || cached.version != version) {
                List<BrokerSubscription<T>> found = new ArrayList<>();
                hub.patterns.forEachMatch(topic, found::add);
                @SuppressWarnings("unchecked")
                BrokerSubscription<T>[] array = found.toArray((BrokerSubscription<T>[]) EMPTY);
                cached = new PatternMatches<>(version, array);
                patternMatches = cached;
            }
            return cached.subscriptions;
        }

        BrokerSubscription<T>[] subscribers() {
            return subscribers;
        }

        TopicRing<T> ring() {
            return ring;
        }

        /** Adds a subscription, creating the ring for the first reader. Before the subscription is visible. */
        synchronized void add(BrokerSubscription<T> subscription) {
            if (subscription.readsRing()) {
                if (ring == null) {
                    ring = new TopicRing<>();
                }
                ring.admitReader(subscription.capacity());
            }
            subscription.attach(this);
            subscribers = with(subscribers, subscription);
            offered = with(offered, subscription);
        }

        /** Removes a subscription; returns whether it was there. */
        synchronized boolean remove(BrokerSubscription<T> subscription) {
            offered = without(offered, subscription);
            BrokerSubscription<T>[] current = subscribers;
            subscribers = without(current, subscription);
            return subscribers != current;
        }

        /** A live ring reader no longer needs each message handed to it. */
        synchronized void stopOffering(BrokerSubscription<T> subscription) {
            offered = without(offered, subscription);
        }

        /** Hands a message to the subscriptions that take it. */
        void dispatch(Message<T> message) {
            dispatchAll(List.of(message));
        }

        /**
         * Hands consecutive messages to the subscriptions that take them, a chunk at a time: the chunk into the
         * ring, then each offered subscription takes the chunk in order, then the sleeping ring readers are woken.
         * Ring readers are so woken once per chunk, not once per message, yet early enough to drain the start of a
         * long batch while the rest is still being written.
         */
        void dispatchAll(List<Message<T>> messages) {
            TopicRing<T> ring = this.ring;
            int size = messages.size();
            int to = Math.min(size, DISPATCH_CHUNK);
            long firstSequence = ring == null ? 0 : ring.appendAll(messages, 0, to, this);
            setDispatcher();
            // A volatile store: it also orders the ring's tail before the reads below of who sleeps and what is
            // offered, against a reader that goes to sleep and then looks at the tail.
            dispatchCount++;
            try {
                int direct = 0;
                BrokerSubscription<T> counter = null;
                int from = 0;
                while (true) {
                    for (BrokerSubscription<T> subscription : offered) {
                        int called = subscription.offerAll(messages, from, to, firstSequence);
                        if (called > 0) {
                            direct += called;
                            counter = subscription;
                        }
                    }
                    if (ring != null) {
                        ring.wakeSleepers();
                    }
                    from = to;
                    if (from == size) {
                        break;
                    }
                    to = Math.min(size, from + DISPATCH_CHUNK);
                    if (ring != null) {
                        firstSequence = ring.appendAll(messages, from, to, this);
                        // The same order as the dispatch count's store gives the first chunk.
                        VarHandle.fullFence();
                    }
                }
                if (counter != null) {
                    // Added to the broker's counter once per dispatch, not once per subscriber.
                    counter.countDirectDeliveries(direct);
                }
            } finally {
                DISPATCH_COUNT.setRelease(this, dispatchCount + 1);
            }
        }

        /**
         * Records the dispatching thread for {@link #waitsFor}. Stored only when it changes: a volatile store is a
         * full fence, and one per message (the dispatch count's) is enough.
         */
        private void setDispatcher() {
            Thread self = Thread.currentThread();
            if (dispatcher != self) {
                dispatcher = self;
            }
        }

        /**
         * Waits until a dispatch in progress on another thread has finished, unless that dispatch waits, directly or
         * through other waiting dispatches, for one that runs on this thread: a callback of topic A that closes a
         * subscription of topic B while a callback of B closes one of A. Then it returns at once, and the closed
         * subscription may still get the call that the other dispatch was about to make; waiting would never end.
         */
        void awaitDispatch() {
            long count = dispatchCount;
            Thread self = Thread.currentThread();
            if ((count & 1) == 0 || dispatcher == self) {
                return;
            }
            waits.put(self, this);
            try {
                for (int spins = 0; dispatchCount == count; spins++) {
                    if (spins < 100) {
                        Thread.onSpinWait();
                    } else if (waitsFor(self)) {
                        return;
                    } else {
                        Thread.yield();
                    }
                }
            } finally {
                waits.remove(self);
            }
        }

        /** Whether the thread dispatching this route waits, through a chain of waits, for a dispatch on {@code self}. */
        private boolean waitsFor(Thread self) {
            Route<?> route = this;
            for (int hops = 0; hops < MAX_WAIT_CHAIN; hops++) {
                Route<?> awaited = waits.get(route.dispatcher);
                if (awaited == null || (awaited.dispatchCount & 1) == 0) {
                    return false;
                }
                if (awaited.dispatcher == self) {
                    return true;
                }
                route = awaited;
            }
            return false;
        }

        @Override
        public long lowestCursor() {
            long lowest = ring.tail();
            for (BrokerSubscription<T> subscription : subscribers) {
                lowest = Math.min(lowest, subscription.ringCursor());
            }
            return lowest;
        }

        private static <T> BrokerSubscription<T>[] with(BrokerSubscription<T>[] array, BrokerSubscription<T> added) {
            BrokerSubscription<T>[] grown = Arrays.copyOf(array, array.length + 1);
            grown[array.length] = added;
            return grown;
        }

        private static <T> BrokerSubscription<T>[] without(BrokerSubscription<T>[] array,
                                                           BrokerSubscription<T> removed) {
            int index = indexOf(array, removed);
            if (index < 0) {
                return array;
            }
            BrokerSubscription<T>[] shrunk = Arrays.copyOf(array, array.length - 1);
            System.arraycopy(array, index + 1, shrunk, index, array.length - index - 1);
            return shrunk;
        }
    }

    /** One computed list of a topic's matching patterns, and the index version it is good for. */
    private record PatternMatches<T>(long version, BrokerSubscription<T>[] subscriptions) {
    }

    @Override
    public void onMessage(Message<T> message) {
        Route<T> route = exact.get(message.topic());
        if (route != null) {
            route.dispatch(message);
            if (!patterns.isEmpty()) {
                for (BrokerSubscription<T> subscription : route.patternMatches(message.topic())) {
                    if (subscription.offer(message, 0)) {
                        subscription.countDirectDeliveries(1);
                    }
                }
            }
        } else if (!patterns.isEmpty()) {
            patterns.forEachMatch(message.topic(), subscription -> {
                if (subscription.offer(message, 0)) {
                    subscription.countDirectDeliveries(1);
                }
            });
        }
    }

    /** A batch of one topic: one route lookup and one pattern match for all of it. */
    @Override
    public void onMessages(List<Message<T>> messages) {
        Route<T> route = exact.get(messages.get(0).topic());
        if (route != null) {
            route.dispatchAll(messages);
        }
        offerToPatterns(route, messages);
    }

    @Override
    public void onTopicMessages(List<Message<T>> messages) {
        Route<T> route = exact.get(messages.get(0).topic());
        if (route != null) {
            route.dispatchAll(messages);
        }
    }

    @Override
    public void onPatternMessages(List<Message<T>> messages) {
        offerToPatterns(exact.get(messages.get(0).topic()), messages);
    }

    private void offerToPatterns(Route<T> route, List<Message<T>> messages) {
        if (patterns.isEmpty()) {
            return;
        }
        String topic = messages.get(0).topic();
        List<BrokerSubscription<T>> matches;
        if (route != null) {
            matches = Arrays.asList(route.patternMatches(topic));
        } else {
            matches = new ArrayList<>();
            patterns.forEachMatch(topic, matches::add);
        }
        for (BrokerSubscription<T> subscription : matches) {
            int direct = 0;
            for (Message<T> message : messages) {
                if (subscription.offer(message, 0)) {
                    direct++;
                }
            }
            if (direct > 0) {
                subscription.countDirectDeliveries(direct);
            }
        }
    }

    /** Closes the topic's exact subscriptions: their stream cannot go on where they are (see the SPI). */
    @Override
    public void onContinuityLost(String topic) {
        Route<T> route = exact.get(topic);
        if (route == null) {
            return;
        }
        for (BrokerSubscription<T> subscription : route.subscribers()) {
            subscription.closeByEngine(CloseReason.CONTINUITY_LOST);
        }
    }

    /**
     * Adds a subscription and declares the node's interest in its filter to the engine, which dedupes repeated
     * declarations: every registration waits for the engine's interest to be in effect, not only the first, since
     * a second subscriber may register while the first one's declaration is still on its way.
     *
     * @return completes once the engine's interest is in effect; on failure the subscription is unregistered
     */
    @SuppressWarnings("unchecked")
    CompletionStage<Void> register(BrokerSubscription<T> subscription) {
        String filter = subscription.filter();
        if (Topics.isPattern(filter)) {
            patterns.add(filter, subscription);
            patternsVersion.incrementAndGet();
        } else {
            exact.compute(filter, (topic, route) -> {
                if (route == null) {
                    route = new Route<>(this);
                }
                route.add(subscription);
                return route;
            });
        }
        if (subscription.blocksPublishers()) {
            blocking.incrementAndGet();
        }
        // Outside any hub lock: the engine may take a topic's lock, and a publisher holding that lock may be
        // calling a direct subscriber that subscribes or closes, which needs the hub.
        CompletionStage<Void> ready;
        try {
            ready = engine.interest(filter, true);
        } catch (RuntimeException e) {
            unregister(subscription);
            throw e;
        }
        return ready.whenComplete((ignored, failure) -> {
            if (failure != null) {
                unregister(subscription);
            }
        });
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
                patternsVersion.incrementAndGet();
            }
        } else {
            boolean[] emptied = new boolean[1];
            exact.computeIfPresent(filter, (topic, route) -> {
                if (!route.remove(subscription)) {
                    return route;
                }
                removed[0] = true;
                if (route.subscribers().length == 0) {
                    emptied[0] = true;
                    return null;
                }
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

    @Override
    public boolean isSubscribed(String filter) {
        return Topics.isPattern(filter) ? patterns.contains(filter) : exact.containsKey(filter);
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
            for (BrokerSubscription<T> subscription : route.subscribers()) {
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
        return route == null ? 0 : route.subscribers().length;
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
