package dev.herald.core.internal;

import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.StreamPosition;
import dev.herald.core.TopicStats;
import dev.herald.core.policy.HistoryPolicy;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One topic of the in-memory engine: its offset counter, epoch and retained history.
 *
 * <p>Concurrency: every field is guarded by {@link #lock}; the engine holds it while it sequences, stores and
 * hands a message on, which makes those three steps one atomic step for readers of the history.
 * Retained offsets are contiguous: eviction takes the oldest, appends add the newest.
 *
 * @param <T> payload type
 */
final class TopicLog<T> {
    private static final int INITIAL_CAPACITY = 8;
    private static final System.Logger LOG = System.getLogger("dev.herald.core");

    final String name;
    final String epoch;
    /** {@code epoch + "-"}: message ids are this followed by the offset. */
    final String idPrefix;
    final ReentrantLock lock = new ReentrantLock();

    /** Set once, under the lock, when the engine drops this log; a publisher holding a stale reference retries. */
    boolean removed;
    /** Whether this log is in the engine's set of topics kept only because subscriptions match them. */
    boolean heldBySubscribers;
    long lastOffset;

    private Message<T>[] messages;
    private long[] weights;
    private long[] acceptedNanos;
    private int head;
    private int size;
    private long retainedBytes;
    /** Whether a failure of the history policy was logged for this topic, so a broken policy does not flood the log. */
    private boolean policyFailureLogged;

    TopicLog(String name, String epoch) {
        this.name = name;
        this.epoch = epoch;
        this.idPrefix = epoch + "-";
    }

    /** Stores a message as the newest, then evicts from the oldest end while the policy says so. */
    void append(Message<T> message, long weight, long nowNanos, HistoryPolicy policy) {
        ensureRoom();
        int tail = (head + size) % messages.length;
        messages[tail] = message;
        weights[tail] = weight;
        acceptedNanos[tail] = nowNanos;
        size++;
        retainedBytes += weight;
        evict(nowNanos, policy);
    }

    /** Evicts from the oldest end while the policy says so. */
    void evict(long nowNanos, HistoryPolicy policy) {
        while (size > 0 && evictsOldest(policy, nowNanos)) {
            retainedBytes -= weights[head];
            messages[head] = null;
            head = (head + 1) % messages.length;
            size--;
        }
        if (size == 0 && messages != null && messages.length > INITIAL_CAPACITY) {
            // Give back the memory of a burst once it has been evicted.
            messages = null;
            weights = null;
            acceptedNanos = null;
            head = 0;
        }
    }

    /**
     * Asks the policy about the oldest message. A policy that throws keeps it: the message being published has
     * its offset already and must still reach its subscribers.
     */
    private boolean evictsOldest(HistoryPolicy policy, long nowNanos) {
        try {
            return policy.evictOldest(size, retainedBytes, nowNanos - acceptedNanos[head]);
        } catch (RuntimeException e) {
            if (!policyFailureLogged) {
                policyFailureLogged = true;
                LOG.log(Level.WARNING, "the history policy threw for topic '" + name
                        + "'; its history keeps messages the policy did not decide on", e);
            }
            return false;
        }
    }

    int retainedCount() {
        return size;
    }

    /** Offset of the oldest retained message, or {@code lastOffset + 1} if none is retained. */
    long oldestOffset() {
        return lastOffset - size + 1;
    }

    StreamPosition position() {
        return new StreamPosition(lastOffset, epoch);
    }

    /** The retained messages the query selects, oldest first. */
    List<Message<T>> select(HistoryQuery query) {
        long first = oldestOffset();
        long from = Math.max(first, query.afterOffset() + 1);
        long to = lastOffset;
        if (from > to || query.limit() == 0) {
            return List.of();
        }
        if (query.latest()) {
            from = Math.max(from, to - query.limit() + 1);
        } else {
            to = Math.min(to, from + query.limit() - 1);
        }
        List<Message<T>> selected = new ArrayList<>((int) (to - from + 1));
        for (long offset = from; offset <= to; offset++) {
            selected.add(messages[(int) ((head + (offset - first)) % messages.length)]);
        }
        return selected;
    }

    TopicStats stats(long subscribers) {
        return new TopicStats(name, position(), size, retainedBytes, subscribers);
    }

    @SuppressWarnings("unchecked")
    private void ensureRoom() {
        if (messages == null) {
            messages = (Message<T>[]) new Message<?>[INITIAL_CAPACITY];
            weights = new long[INITIAL_CAPACITY];
            acceptedNanos = new long[INITIAL_CAPACITY];
            head = 0;
            return;
        }
        if (size < messages.length) {
            return;
        }
        int capacity = messages.length * 2;
        Message<T>[] grownMessages = (Message<T>[]) new Message<?>[capacity];
        long[] grownWeights = new long[capacity];
        long[] grownNanos = new long[capacity];
        for (int i = 0; i < size; i++) {
            int from = (head + i) % messages.length;
            grownMessages[i] = messages[from];
            grownWeights[i] = weights[from];
            grownNanos[i] = acceptedNanos[from];
        }
        messages = grownMessages;
        weights = grownWeights;
        acceptedNanos = grownNanos;
        head = 0;
    }
}
