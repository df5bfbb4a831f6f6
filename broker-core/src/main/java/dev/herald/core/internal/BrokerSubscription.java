package dev.herald.core.internal;

import dev.herald.core.CloseReason;
import dev.herald.core.Message;
import dev.herald.core.StreamPosition;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.SubscriptionStats;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.DeliveryPolicy.Overflow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One subscription: its queue, its delivery state machine and its counters.
 *
 * <p>Concurrency:
 * <ul>
 *   <li>{@code queueLock} guards the queue, the state and the drop counters. Publishers take it briefly in
 *       {@link #offer}; they never wait for the subscriber.</li>
 *   <li>{@code deliveryLock} is held while the subscriber is called, so calls never overlap, and
 *       {@link #close()} takes it to wait for a running call, which is how "no new callback after close returns"
 *       holds. It is reentrant, so a subscriber may close its own subscription from a callback.</li>
 *   <li>Lock order: {@code deliveryLock} before {@code queueLock}; neither is held while calling into the hub or
 *       the engine, except that direct delivery runs under the engine's topic lock by design.</li>
 * </ul>
 * Queued mode drains on the executor, with at most one drain task pending per subscription (the
 * {@code drainScheduled} flag), so the executor's queue is bounded by the number of subscriptions.
 *
 * <p>Ring mode: a live exact-topic subscription with the drop-oldest policy (the default) keeps no queue of its own.
 * The topic's {@link TopicRing} holds each message once for all of them; this subscription's {@code cursor} says
 * how far it has taken, and what lies more than its bound behind the ring's tail is counted as dropped oldest when
 * the drain (or {@link #stats()}) looks. The publisher only appends to the ring and, when the drain is not
 * scheduled, schedules it: no lock. A message the ring had already sequenced when the subscription went live
 * comes through {@link #offer} into the queue, which is delivered before the ring.
 *
 * <p>Direct mode on an exact topic takes no lock per delivery either: the engine never dispatches one topic
 * concurrently, recovery hands over by setting {@code LIVE}, and {@link #close()} waits for the topic's dispatch in
 * progress ({@link Hub.Route#awaitDispatch}) instead of the delivery lock.
 *
 * <p>States: {@code RECOVERING} buffers live messages while a replay is read; {@code LIVE} delivers;
 * {@code CLOSING} (slow consumer) lets the drain task send {@link CloseReason#SLOW_CONSUMER} as the last
 * callback; {@code CLOSED} delivers nothing.
 *
 * @param <T> payload type
 */
final class BrokerSubscription<T> implements Subscription, TopicRing.Reader {
    private static final int RECOVERING = 0;
    private static final int LIVE = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    /** Messages handed to the subscriber per batch, and per drain run before the task yields its thread. */
    private static final int BATCH = 256;
    private static final int RUN_BUDGET = 4 * BATCH;
    private static final int RING_BATCH = 4 * BATCH;
    /**
     * How long a drain that found the queue empty watches for more before it gives its thread back. Waking an
     * idle pool thread costs the publisher a system call per drain scheduled; while messages keep coming faster
     * than that, a short watch keeps the drain running instead. A drain watches only if the previous one ended
     * less than {@link #LINGER_WHEN_IDLE_UNDER_NANOS} before it started, or if it found more than one message
     * waiting, so sparse traffic (many topics, a message now and then on each) does not burn the pool's threads on
     * watches that find nothing.
     */
    private static final long LINGER_NANOS = 5_000;
    private static final long LINGER_WHEN_IDLE_UNDER_NANOS = 4 * LINGER_NANOS;
    /**
     * How many times in a row a drain that found nothing, while traffic is dense and other tasks wait for its pool
     * thread, goes to the back of the pool's queue instead of to sleep. On a pool with fewer threads than busy
     * subscriptions the drains so take turns, each finding what arrived meanwhile, and the publisher need not wake
     * them one message at a time.
     */
    private static final int EMPTY_TURNS = 1;
    /** Pauses between two looks at the tail while lingering: each look takes the tail's cache line from the writer. */
    private static final int LINGER_PAUSES = 16;
    /** The largest bound served from the topic's ring; larger ones keep a queue that grows only as needed. */
    static final int RING_BOUND_LIMIT = 1 << 16;
    /** The most live messages buffered while a replay is read; past it the subscription closes as slow. */
    static final int RECOVERY_BUFFER_LIMIT = 65_536;

    private static final VarHandle DELIVERED;
    private static final VarHandle PENDING;
    private static final VarHandle DRAIN_SCHEDULED;
    private static final VarHandle CURSOR;
    private static final VarHandle DELIVERING_AFTER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            DELIVERED = lookup.findVarHandle(BrokerSubscription.class, "delivered", long.class);
            PENDING = lookup.findVarHandle(BrokerSubscription.class, "pending", int.class);
            DRAIN_SCHEDULED = lookup.findVarHandle(BrokerSubscription.class, "drainScheduled", boolean.class);
            CURSOR = lookup.findVarHandle(BrokerSubscription.class, "cursor", long.class);
            DELIVERING_AFTER = lookup.findVarHandle(BrokerSubscription.class, "deliveringAfter", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final DefaultBroker<T> broker;
    private final String filter;
    private final boolean exactTopic;
    private final boolean readsRing;
    private final boolean directExact;
    private final Subscriber<T> subscriber;
    private final DeliveryPolicy policy;
    private final Executor executor;
    private final Runnable drainTask = this::drainAndReschedule;

    private final ReentrantLock deliveryLock = new ReentrantLock();
    private final ReentrantLock queueLock = new ReentrantLock();
    /** Only the block policy has publishers waiting for room; other subscriptions save the condition's memory. */
    private final Condition notFull;

    // Guarded by queueLock (state is also read without it, as a hint).
    private volatile int state;
    private final MessageRing<T> queue = new MessageRing<>();
    /** Set by whoever schedules the drain task (a CAS), cleared by the task; under queueLock except in ring mode. */
    private volatile boolean drainScheduled;
    private int waitingPublishers;
    private long droppedOldest;
    private long droppedNewest;
    private long droppedOnClose;
    /** Replayed history, delivered before the queue. Set under queueLock, consumed under deliveryLock. */
    private List<Message<T>> replay = List.of();
    private int replayIndex;
    private volatile int pending;

    // Written by the one thread delivering at a time: under deliveryLock, or in an exact topic's direct dispatch.
    private volatile long delivered;
    private volatile long errors;
    /** Messages the subscriber's {@link Subscriber#offer} refused; reported within droppedNewest. */
    private volatile long refused;
    /** For an exact topic: the newest offset delivered, so an engine that re-sends at the seam is deduplicated. */
    private long lastOffset;
    private Message<T>[] batch;
    /** When the last drain run found the queue empty and ended; under deliveryLock. */
    private long lastDrainEnd = Long.MIN_VALUE / 2;
    /** Drain only: empty turns left before the drain sleeps (see {@link #EMPTY_TURNS}). */
    private int emptyTurnsLeft = EMPTY_TURNS;

    /** Exact topics: the hub's route and its ring, set once before any dispatch can see this subscription. */
    private Hub.Route<T> route;
    private TopicRing<T> ring;
    /** Ring mode: sequence of the last ring message taken. Written under queueLock; read by the ring's writer. */
    private volatile long cursor;
    /**
     * Ring mode: the ring's tail when the subscription went live. Messages up to it reach the subscription through
     * {@link #offer} (buffered while recovering); later ones are read from the ring. Written before {@code state}
     * turns LIVE.
     */
    private long liveFromSequence;
    /** Ring mode: the sequences taken by the current batch; under deliveryLock. */
    private long ringFrom;
    private long ringTo;
    /**
     * Ring mode: while a taken range is delivered, the sequence before it, so the ring's writer keeps it (the
     * cursor is already past it); {@code Long.MAX_VALUE} otherwise.
     */
    private volatile long deliveringAfter = Long.MAX_VALUE;
    /** Ring mode: whether the route no longer hands each message to this subscription. */
    private volatile boolean offersStopped;

    private volatile StreamPosition position = new StreamPosition(0, "");
    private volatile boolean recovered = true;

    BrokerSubscription(DefaultBroker<T> broker, String filter, Subscriber<? super T> subscriber,
                       DeliveryPolicy policy, Executor executor, boolean recovering) {
        this.broker = broker;
        this.filter = filter;
        this.exactTopic = !Topics.isPattern(filter);
        // Message is immutable, so a subscriber of a supertype may safely read a Message<T>.
        @SuppressWarnings("unchecked")
        Subscriber<T> widened = (Subscriber<T>) subscriber;
        this.subscriber = widened;
        this.policy = policy;
        this.executor = executor;
        this.notFull = policy.overflow() == Overflow.BLOCK ? queueLock.newCondition() : null;
        this.readsRing = exactTopic && !policy.isDirect() && policy.overflow() == Overflow.DROP_OLDEST
                && policy.capacity() <= RING_BOUND_LIMIT;
        this.directExact = exactTopic && policy.isDirect();
        this.state = recovering ? RECOVERING : LIVE;
    }

    @Override
    public String filter() {
        return filter;
    }

    @Override
    public StreamPosition position() {
        return position;
    }

    @Override
    public boolean recovered() {
        return recovered;
    }

    @Override
    public boolean isOpen() {
        return state < CLOSING;
    }

    boolean blocksPublishers() {
        return policy.overflow() == Overflow.BLOCK;
    }

    /** Whether this subscription reads its topic's ring once live (see the class comment). */
    boolean readsRing() {
        return readsRing;
    }

    int capacity() {
        return policy.capacity();
    }

    /** Called by the hub, inside its update of the route, before the route's dispatch can see this subscription. */
    void attach(Hub.Route<T> route) {
        this.route = route;
        this.ring = route.ring();
        if (readsRing && state == LIVE) {
            // Live from the start: what the ring holds now was published before this subscription. A dispatch
            // that appends concurrently either reads the array without this subscription, or offers the message
            // with a sequence the cursor has not passed, so it comes through the queue or the ring, once.
            liveFromSequence = ring.tail();
            CURSOR.setRelease(this, liveFromSequence);
        }
    }

    /** For the ring's writer: how far this subscription has read, or {@code Long.MAX_VALUE} if it does not read. */
    long ringCursor() {
        return readsRing && state == LIVE ? Math.min(cursor, deliveringAfter) : Long.MAX_VALUE;
    }

    /** Ring mode: ring messages not yet taken, or 0 unless live. */
    private long ringLag() {
        return readsRing && state == LIVE ? Math.max(0, ring.tail() - cursor) : 0;
    }

    @Override
    public SubscriptionStats stats() {
        queueLock.lock();
        try {
            if (readsRing) {
                applyBoundUnderLock();
                return new SubscriptionStats(delivered, droppedOldest, droppedNewest + refused, droppedOnClose,
                        (replay.size() - replayIndex) + queue.size() + ringLag(), errors);
            }
            return new SubscriptionStats(delivered, droppedOldest, droppedNewest + refused, droppedOnClose, pending,
                    errors);
        } finally {
            queueLock.unlock();
        }
    }

    /**
     * Ring mode: counts as dropped now what lies beyond the bound, as the drain would when it next looks, so that
     * counts read afterwards (this subscription's, the broker's) include it. The broker calls it before it reads its
     * counters, which then never lag the subscriptions' and never go down.
     */
    void applyBound() {
        if (!readsRing) {
            return;
        }
        queueLock.lock();
        try {
            applyBoundUnderLock();
        } finally {
            queueLock.unlock();
        }
    }

    private void applyBoundUnderLock() {
        if (state == LIVE) {
            dropBeyondBound(ring.tail());
        }
    }

    /** The pending gauge; in ring mode an estimate that may count a message about to be dropped as pending. */
    int pending() {
        return readsRing ? pending + (int) Math.min(ringLag(), policy.capacity()) : pending;
    }

    /** Whether the calling thread is inside one of this subscription's callbacks. */
    boolean isDeliveringOnThisThread() {
        return deliveryLock.isHeldByCurrentThread();
    }

    /** Under queueLock: wakes publishers waiting for room under the block policy. */
    private void signalNotFull() {
        if (notFull != null) {
            notFull.signalAll();
        }
    }

    /** Under queueLock: republishes the pending gauge (queue plus replay not yet delivered). */
    private void updatePending() {
        // Written under queueLock only: a release store (no fence on the publish path) is enough for readers.
        PENDING.setRelease(this, queue.size() + replay.size() - replayIndex);
    }

    // ---------------------------------------------------------------- publisher side

    /**
     * Hands one message to this subscription. Called by the hub, under the engine's lock for the topic.
     *
     * @return whether the subscriber was called (direct mode), which the caller counts with
     *         {@link #countDirectDeliveries}, once for all the subscriptions of one message
     */
    boolean offer(Message<T> message, long sequence) {
        if (directExact && state == LIVE) {
            return deliverDirect(message);
        }
        if (readsRing && state == LIVE && sequence > liveFromSequence) {
            // In the ring already: only make sure the drain runs. The ring's tail was stored before this read
            // (the route's dispatch count store orders them), and the drain re-reads the tail after clearing the
            // flag, so one of the two sees the other.
            wake();
            return false;
        }
        return offerToQueue(message);
    }

    /**
     * Hands messages {@code from} (inclusive) to {@code to} (exclusive) of a batch to this subscription, as
     * {@link #offer} does one by one. A live ring reader is only woken, once: it finds them in the ring.
     *
     * @param firstSequence the ring sequence of the first, or 0 if the topic has no ring
     * @return how many the subscriber was called with (direct mode)
     */
    int offerAll(List<Message<T>> messages, int from, int to, long firstSequence) {
        long fromRing = firstSequence - liveFromSequence;
        if (readsRing && state == LIVE && fromRing + (to - from) > 1) {
            // The last is past the sequence this reader went live from. Any before it go to the queue, as offer does.
            for (int i = from; i < to && fromRing <= 0; i++, fromRing++) {
                offerToQueue(messages.get(i));
            }
            wake();
            return 0;
        }
        int called = 0;
        for (int i = from; i < to; i++) {
            if (offer(messages.get(i), firstSequence == 0 ? 0 : firstSequence + (i - from))) {
                called++;
            }
        }
        return called;
    }

    @Override
    public void wake() {
        if (state == LIVE && !drainScheduled && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
            scheduleDrain();
        }
    }

    /** Direct mode, exact topic, live: no lock (see the class comment). */
    private boolean deliverDirect(Message<T> message) {
        boolean called = deliver(message);
        if (called) {
            DELIVERED.setRelease(this, delivered + 1);
        }
        endBatch();
        return called;
    }

    private boolean offerToQueue(Message<T> message) {
        if (policy.isDirect()) {
            return offerDirect(message);
        }
        boolean schedule = false;
        queueLock.lock();
        try {
            int current = state;
            if (current >= CLOSING) {
                return false;
            }
            if (current == RECOVERING) {
                schedule = bufferWhileRecovering(message);
                return false;
            }
            if (queue.size() >= policy.capacity()) {
                switch (policy.overflow()) {
                    case DROP_OLDEST -> {
                        queue.poll();
                        droppedOldest++;
                        broker.countDropped(1);
                        queue.add(message);
                    }
                    case DROP_NEWEST -> {
                        droppedNewest++;
                        broker.countDropped(1);
                    }
                    case CLOSE -> schedule = beginSlowClose(1);
                    case BLOCK -> queue.add(message);
                    default -> throw new IllegalStateException("unknown overflow " + policy.overflow());
                }
            } else {
                queue.add(message);
            }
            updatePending();
            if (!drainScheduled && state == LIVE && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
                schedule = true;
            }
        } finally {
            queueLock.unlock();
            if (schedule) {
                scheduleDrain();
            }
        }
        return false;
    }

    /** Adds deliveries made by {@link #offer} to the broker's counter; see there. */
    void countDirectDeliveries(int count) {
        broker.countDelivered(count);
    }

    private boolean offerDirect(Message<T> message) {
        if (directExact && state == LIVE) {
            return deliverDirect(message);
        }
        boolean called = false;
        deliveryLock.lock();
        try {
            int current = state;
            if (current == LIVE) {
                if (deliver(message)) {
                    called = true;
                    // Single writer (deliveryLock): a release store is enough for readers of stats().
                    DELIVERED.setRelease(this, delivered + 1);
                }
                endBatch();
            } else if (current == RECOVERING) {
                boolean schedule;
                queueLock.lock();
                try {
                    schedule = bufferWhileRecovering(message);
                } finally {
                    queueLock.unlock();
                }
                if (schedule) {
                    scheduleDrain();
                }
            }
        } finally {
            deliveryLock.unlock();
        }
        return called;
    }

    /**
     * Under queueLock: keeps a live message until the replay is read.
     *
     * @return whether the caller must schedule the drain task (to send the slow-consumer close)
     */
    private boolean bufferWhileRecovering(Message<T> message) {
        if (queue.size() >= Math.max(policy.capacity(), RECOVERY_BUFFER_LIMIT)) {
            return beginSlowClose(1);
        }
        queue.add(message);
        pending = queue.size();
        return false;
    }

    /**
     * Under queueLock: marks the subscription as closing because it is too slow, discarding what waits.
     *
     * @return whether the caller must schedule the drain task that sends the close
     */
    private boolean beginSlowClose(int alsoDropped) {
        state = CLOSING;
        long discarded = queue.size() + (replay.size() - replayIndex) + alsoDropped;
        queue.clear();
        replay = List.of();
        replayIndex = 0;
        droppedOnClose += discarded;
        pending = 0;
        broker.countDropped(discarded);
        signalNotFull();
        return DRAIN_SCHEDULED.compareAndSet(this, false, true);
    }

    /** Waits for room under the block policy; see {@link Hub#awaitRoom}. */
    boolean awaitRoom(long startNanos) {
        if (!blocksPublishers()) {
            return true;
        }
        long deadline = startNanos + policy.timeout().toNanos();
        queueLock.lock();
        try {
            while (queue.size() >= policy.capacity() && state == LIVE) {
                long remaining = deadline - broker.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                waitingPublishers++;
                try {
                    notFull.awaitNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(10)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } finally {
                    waitingPublishers--;
                }
            }
            return true;
        } finally {
            queueLock.unlock();
        }
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Ends the recovering state: delivers {@code history} first, then what was buffered meanwhile, minus any
     * message the history already holds.
     *
     * <p>A read answered after live messages arrived may start past the oldest of them: it replays only the newest
     * messages, or the history bound evicted the older ones meanwhile. Those buffered messages are in no replay,
     * so they go first; the buffer holds every message since registration, so they join the history without gap.
     */
    /**
     * For a resume inside the topic's epoch: the subscriber already has every offset up to {@code offset}. A
     * distributed engine may hand this node such a message after the subscription registered (the client learnt
     * the offset elsewhere first); it must not be delivered again. Call before {@link #completeRecovery}.
     */
    void skipThrough(long offset) {
        deliveryLock.lock();
        try {
            if (exactTopic && offset > lastOffset) {
                lastOffset = offset;
            }
        } finally {
            deliveryLock.unlock();
        }
    }

    void completeRecovery(List<Message<T>> history, StreamPosition topicPosition, boolean complete) {
        this.position = topicPosition;
        this.recovered = complete;
        long replayedUpTo = history.isEmpty() ? -1 : history.get(history.size() - 1).offset();
        long replayedFrom = history.isEmpty() ? -1 : history.get(0).offset();
        if (policy.isDirect()) {
            deliveryLock.lock();
            try {
                if (state != RECOVERING) {
                    return;
                }
                while (true) {
                    Message<T> earlier;
                    queueLock.lock();
                    try {
                        Message<T> head = queue.peek();
                        earlier = head != null && head.offset() < replayedFrom ? queue.poll() : null;
                    } finally {
                        queueLock.unlock();
                    }
                    if (earlier == null) {
                        break;
                    }
                    if (deliver(earlier)) {
                        delivered++;
                        broker.countDelivered(1);
                    }
                    endBatch();
                }
                int accepted = 0;
                for (Message<T> message : history) {
                    if (deliver(message)) {
                        accepted++;
                    }
                    endBatch();
                }
                delivered += accepted;
                broker.countDelivered(accepted);
                Message<T> buffered;
                while (true) {
                    queueLock.lock();
                    try {
                        buffered = queue.poll();
                        if (buffered == null) {
                            state = LIVE;
                            pending = 0;
                            return;
                        }
                    } finally {
                        queueLock.unlock();
                    }
                    if (buffered.offset() > replayedUpTo && deliver(buffered)) {
                        endBatch();
                        delivered++;
                        broker.countDelivered(1);
                    }
                }
            } finally {
                deliveryLock.unlock();
            }
        }
        boolean schedule = false;
        queueLock.lock();
        try {
            if (state != RECOVERING) {
                return;
            }
            List<Message<T>> merged = history;
            if (queue.peek() != null && queue.peek().offset() < replayedFrom) {
                merged = new ArrayList<>(queue.size() + history.size());
                while (queue.peek() != null && queue.peek().offset() < replayedFrom) {
                    merged.add(queue.poll());
                }
                merged.addAll(history);
            }
            while (queue.peek() != null && queue.peek().offset() <= replayedUpTo) {
                queue.poll();
            }
            replay = merged;
            replayIndex = 0;
            if (readsRing) {
                liveFromSequence = ring.tail();
                CURSOR.setRelease(this, liveFromSequence);
            }
            state = LIVE;
            int capacity = policy.capacity();
            while (queue.size() > capacity && state == LIVE) {
                switch (policy.overflow()) {
                    case DROP_OLDEST -> {
                        queue.poll();
                        droppedOldest++;
                        broker.countDropped(1);
                    }
                    case DROP_NEWEST -> {
                        queue.pollLast();
                        droppedNewest++;
                        broker.countDropped(1);
                    }
                    case CLOSE -> schedule = beginSlowClose(0);
                    case BLOCK -> capacity = Integer.MAX_VALUE;
                    default -> throw new IllegalStateException("unknown overflow " + policy.overflow());
                }
            }
            pending = queue.size() + replay.size();
            if ((pending > 0 || state == CLOSING) && DRAIN_SCHEDULED.compareAndSet(this, false, true)) {
                schedule = true;
            }
        } finally {
            queueLock.unlock();
        }
        if (schedule) {
            scheduleDrain();
        }
    }

    // ---------------------------------------------------------------- consumer side

    private void scheduleDrain() {
        try {
            executor.execute(drainTask);
        } catch (RejectedExecutionException e) {
            // The executor is shutting down with the broker; what waits is counted when the broker closes us.
            queueLock.lock();
            try {
                drainScheduled = false;
            } finally {
                queueLock.unlock();
            }
        }
    }

    /** What a drain run left to do. */
    private enum DrainEnd {
        /** Messages remain, or may soon: run again after the tasks waiting now (the flag stays set). */
        MORE,
        /** Nothing to do, the flag is cleared. */
        DONE,
        /** Ring mode, caught up: the flag is still set, and the task goes to sleep once the locks are released. */
        IDLE
    }

    private void drainAndReschedule() {
        while (true) {
            DrainEnd end = drain();
            if (end == DrainEnd.MORE) {
                // Only on a fork-join pool can a drain tell that nobody waits for its thread.
                if (Thread.currentThread() instanceof ForkJoinWorkerThread && !otherTasksWait()) {
                    continue;
                }
                scheduleDrain();
                return;
            }
            // Outside the locks: once the flag is clear a publisher may start another run at once, and that run
            // must not find this one still holding the delivery lock.
            if (end == DrainEnd.DONE || !goToSleep()) {
                return;
            }
        }
    }

    /**
     * Delivers up to {@link #RUN_BUDGET} messages in batches.
     *
     * @return what is left to do
     */
    private DrainEnd drain() {
        boolean closeAsSlow = false;
        deliveryLock.lock();
        try {
            Message<T>[] batch = batch();
            int budget = RUN_BUDGET;
            boolean lingers = System.nanoTime() - lastDrainEnd < LINGER_WHEN_IDLE_UNDER_NANOS;
            boolean mayLinger = lingers;
            while (true) {
                int taken;
                int fromRing = 0;
                queueLock.lock();
                try {
                    int current = state;
                    if (current == CLOSING) {
                        state = CLOSED;
                        drainScheduled = false;
                        closeAsSlow = true;
                        break;
                    }
                    if (current != LIVE) {
                        drainScheduled = false;
                        return DrainEnd.DONE;
                    }
                    if (budget <= 0) {
                        return DrainEnd.MORE;
                    }
                    taken = takeBatch(batch);
                    if (readsRing) {
                        fromRing = (int) Math.max(0, ringTo - ringFrom + 1);
                    }
                    if (taken + fromRing == 0) {
                        boolean othersWait = otherTasksWait();
                        if (mayLinger && othersWait && emptyTurnsLeft > 0) {
                            // Traffic is dense, but other drains wait for this thread: let them run, and look
                            // again after them. Cheaper than sleeping, as a publisher would have to wake us.
                            emptyTurnsLeft--;
                            return DrainEnd.MORE;
                        }
                        if (!mayLinger || othersWait) {
                            lastDrainEnd = System.nanoTime();
                            if (readsRing) {
                                return DrainEnd.IDLE;
                            }
                            drainScheduled = false;
                            return DrainEnd.DONE;
                        }
                        mayLinger = false;
                    } else {
                        emptyTurnsLeft = EMPTY_TURNS;
                        updatePending();
                        if (waitingPublishers > 0) {
                            signalNotFull();
                        }
                    }
                } finally {
                    queueLock.unlock();
                }
                if (taken + fromRing == 0) {
                    // drainScheduled stays set meanwhile, so publishers do not schedule another run.
                    linger();
                    continue;
                }
                if (taken + fromRing > 1) {
                    // Messages piled up while this task waited for a thread: traffic is dense, whatever the gap
                    // since the last run (which, with a slow wake-up, can itself exceed the threshold).
                    lingers = true;
                }
                mayLinger = lingers;
                int handed = 0;
                for (int i = 0; i < taken; i++) {
                    Message<T> message = batch[i];
                    batch[i] = null;
                    if (state != LIVE) {
                        for (int j = i + 1; j < taken; j++) {
                            batch[j] = null;
                        }
                        countDiscardedOnClose(taken - i + fromRing);
                        ringTo = ringFrom - 1;
                        DELIVERING_AFTER.setRelease(this, Long.MAX_VALUE);
                        break;
                    }
                    if (deliver(message)) {
                        handed++;
                    }
                }
                if (fromRing > 0) {
                    handed += deliverFromRing();
                }
                DELIVERED.setRelease(this, delivered + handed);
                broker.countDelivered(handed);
                endBatch();
                budget -= taken + fromRing;
            }
            // Still under deliveryLock, so a concurrent close() returns only after this last callback.
            callOnClose(CloseReason.SLOW_CONSUMER);
        } finally {
            deliveryLock.unlock();
        }
        if (closeAsSlow) {
            broker.closedAsSlow(this);
        }
        return DrainEnd.DONE;
    }

    /**
     * Ring mode, at the end of a drain task that found nothing more: clears the drain flag, registers with the
     * ring's sleepers, then looks at the tail once more, as a message appended before the registration may have
     * found nobody to wake.
     *
     * @return {@code true} if such a message is there and this task took the flag back to deliver it
     */
    private boolean goToSleep() {
        drainScheduled = false;
        if (!offersStopped) {
            offersStopped = true;
            route.stopOffering(this);
        }
        ring.sleep(this);
        return ring.tail() > cursor && DRAIN_SCHEDULED.compareAndSet(this, false, true);
    }

    /**
     * Spins until a message is pending, the subscription leaves LIVE, or {@link #LINGER_NANOS} pass.
     */
    private void linger() {
        long start = System.nanoTime();
        for (int looks = 1; pending == 0 && ringLag() == 0 && state == LIVE; looks++) {
            for (int pause = 0; pause < LINGER_PAUSES; pause++) {
                Thread.onSpinWait();
            }
            if ((looks & 1) == 0 && (System.nanoTime() - start > LINGER_NANOS || otherTasksWait())) {
                return;
            }
        }
    }

    /**
     * Whether other tasks wait for a thread of the pool this drain runs on: then lingering would keep them waiting
     * (the drains of a topic's other subscriptions, typically) for messages this one may never get. Known only for a
     * fork-join pool; on other executors a drain lingers as the time limit allows.
     */
    private static boolean otherTasksWait() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread worker
                && (ForkJoinTask.getQueuedTaskCount() > 0 || worker.getPool().hasQueuedSubmissions());
    }

    /** Under deliveryLock: the reusable batch array. */
    @SuppressWarnings("unchecked")
    private Message<T>[] batch() {
        if (batch == null) {
            batch = (Message<T>[]) new Message<?>[Math.min(BATCH, Math.max(1, policy.capacity()))];
        }
        return batch;
    }

    /** Under both locks: the next batch, replayed history first, then the queue, then the ring. */
    private int takeBatch(Message<T>[] batch) {
        long ringTail = readsRing ? ring.tail() : 0;
        if (readsRing) {
            dropBeyondBound(ringTail);
        }
        int taken = 0;
        while (taken < batch.length && replayIndex < replay.size()) {
            batch[taken++] = replay.get(replayIndex++);
        }
        if (replayIndex == replay.size() && replayIndex > 0) {
            replay = List.of();
            replayIndex = 0;
        }
        while (taken < batch.length) {
            Message<T> message = queue.poll();
            if (message == null) {
                break;
            }
            batch[taken++] = message;
        }
        if (readsRing) {
            // Ring messages are not copied into the batch, so a batch may take more of them.
            takeFromRing(Math.min(policy.capacity(), RING_BATCH) - taken, ringTail);
        }
        return taken;
    }

    /** Ring mode, under queueLock: keeps the newest {@code capacity} of what waits, counting the rest. */
    private void dropBeyondBound(long ringTail) {
        long lag = ringTail - cursor;
        long excess = queue.size() + lag - policy.capacity();
        if (excess <= 0) {
            return;
        }
        long fromQueue = Math.min(excess, queue.size());
        for (long i = 0; i < fromQueue; i++) {
            queue.poll();
        }
        if (excess > fromQueue) {
            CURSOR.setRelease(this, cursor + (excess - fromQueue));
        }
        droppedOldest += excess;
        broker.countDropped(excess);
    }

    /**
     * Ring mode, under queueLock: takes up to {@code room} ring messages, as the sequences
     * {@code ringFrom..ringTo} that the drain reads after releasing the lock (no copy into the batch).
     */
    private void takeFromRing(int room, long ringTail) {
        long from = cursor + 1;
        long to = Math.min(ringTail, cursor + room);
        ringFrom = from;
        ringTo = to;
        if (to >= from) {
            DELIVERING_AFTER.setRelease(this, from - 1);
            CURSOR.setRelease(this, to);
        }
    }

    /**
     * Ring mode, under deliveryLock: delivers the sequences taken by {@link #takeFromRing}. The ring keeps them for
     * this loop (see {@code deliveringAfter}) up to its limit; one the writer overwrote all the same is counted as
     * dropped oldest: the writer was then more than twice the bound ahead.
     *
     * @return how many the subscriber was handed
     */
    private int deliverFromRing() {
        long from = ringFrom;
        long to = ringTo;
        ringTo = from - 1;
        int handed = 0;
        long lapped = 0;
        Message<T>[] segment = null;
        for (long sequence = from; sequence <= to; sequence++) {
            if (state != LIVE) {
                countDiscardedOnClose((int) (to - sequence + 1));
                break;
            }
            int within = (int) sequence & (TopicRing.SEGMENT - 1);
            if (within == 0 || sequence == from) {
                segment = ring.segmentOf(sequence);
            }
            Message<T> message = segment == null ? null : segment[within];
            if (message == null) {
                lapped++;
            } else if (deliver(message)) {
                handed++;
            }
        }
        DELIVERING_AFTER.setRelease(this, Long.MAX_VALUE);
        if (lapped > 0) {
            queueLock.lock();
            try {
                droppedOldest += lapped;
            } finally {
                queueLock.unlock();
            }
            broker.countDropped(lapped);
        }
        return handed;
    }

    private void countDiscardedOnClose(int count) {
        queueLock.lock();
        try {
            droppedOnClose += count;
        } finally {
            queueLock.unlock();
        }
        broker.countDropped(count);
    }

    /** Under deliveryLock. Returns whether the subscriber took the message (not a duplicate, not refused). */
    private boolean deliver(Message<T> message) {
        if (exactTopic) {
            if (message.offset() <= lastOffset) {
                return false;
            }
            lastOffset = message.offset();
        }
        try {
            if (!subscriber.offer(message)) {
                refused++;
                broker.countDropped(1);
                return false;
            }
        } catch (Throwable t) {
            onSubscriberError(t);
        }
        return true;
    }

    private void endBatch() {
        try {
            subscriber.onBatchEnd();
        } catch (Throwable t) {
            onSubscriberError(t);
        }
    }

    private void callOnClose(CloseReason reason) {
        deliveryLock.lock();
        try {
            subscriber.onClose(reason);
        } catch (Throwable t) {
            onSubscriberError(t);
        } finally {
            deliveryLock.unlock();
        }
    }

    private void onSubscriberError(Throwable t) {
        errors++;
        broker.reportSubscriberError(filter, t, errors);
        if (t instanceof VirtualMachineError fatal) {
            throw fatal;
        }
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() {
        if (markClosed() == CLOSED) {
            return;
        }
        broker.unregister(this);
    }

    /**
     * Closes on the broker's behalf, after it gave queued messages their grace period. A subscription that was
     * already closing as a slow consumer, whose drain task had not yet run to say so, is told that reason.
     */
    void closeByBroker() {
        int was = markClosed();
        if (was == CLOSING) {
            callOnClose(CloseReason.SLOW_CONSUMER);
            broker.closedAsSlow(this);
        } else if (was != CLOSED) {
            callOnClose(CloseReason.BROKER_CLOSED);
        }
    }

    /**
     * Closes on the engine's behalf (see {@link Hub#onContinuityLost}): what waits is discarded, the subscriber is
     * told why, and the subscription leaves the hub. Called by the engine's dispatch of the topic, under no lock.
     */
    void closeByEngine(CloseReason reason) {
        int was = markClosed();
        if (was != CLOSED) {
            if (was == CLOSING) {
                callOnClose(CloseReason.SLOW_CONSUMER);
                broker.closedAsSlow(this);
                return;
            }
            callOnClose(reason);
        }
        broker.unregister(this);
    }

    /**
     * Sets CLOSED, waiting for a callback in progress, and discards what waits. Returns the state it replaced,
     * {@code CLOSED} if it was closed already.
     */
    private int markClosed() {
        int was = markClosedUnderLocks();
        if (exactTopic && policy.isDirect() && route != null) {
            // A dispatch that read LIVE before the store above may still be calling the subscriber, lock-free. A
            // repeated close waits too, as the first one may have come from the subscriber's own callback.
            route.awaitDispatch();
        }
        return was;
    }

    private int markClosedUnderLocks() {
        deliveryLock.lock();
        try {
            queueLock.lock();
            try {
                int was = state;
                if (was == CLOSED) {
                    return CLOSED;
                }
                long waiting = queue.size();
                if (readsRing && was == LIVE) {
                    long ringTail = ring.tail();
                    waiting += Math.max(0, ringTail - cursor);
                    long excess = Math.max(0, waiting - policy.capacity());
                    droppedOldest += excess;
                    broker.countDropped(excess);
                    waiting -= excess;
                    CURSOR.setRelease(this, ringTail);
                }
                long discarded = waiting + (replay.size() - replayIndex);
                queue.clear();
                replay = List.of();
                replayIndex = 0;
                droppedOnClose += discarded;
                pending = 0;
                broker.countDropped(discarded);
                state = CLOSED;
                signalNotFull();
                return was;
            } finally {
                queueLock.unlock();
            }
        } finally {
            deliveryLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Subscription[" + filter + ", " + policy + "]";
    }
}
