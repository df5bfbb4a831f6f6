package dev.herald.core.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A model of one queued subscription whose subscriber runs only when the test lets it: a bounded queue of live
 * offsets with an overflow action, an optional replay delivered first (bounded by history, not by the queue),
 * and counters for every message that did not arrive.
 */
public final class ReferenceQueue {

    /** What happens to a live message that arrives while the queue is full. */
    public enum Overflow { DROP_OLDEST, DROP_NEWEST, CLOSE }

    private final int capacity;
    private final Overflow overflow;
    private final Deque<Long> replay = new ArrayDeque<>();
    private final Deque<Long> queue = new ArrayDeque<>();
    private final List<Long> delivered = new ArrayList<>();
    private long offered;
    private long droppedOldest;
    private long droppedNewest;
    private long droppedOnClose;
    private boolean closed;
    private String closeReason;
    private boolean closeDelivered;

    /**
     * A model queue.
     *
     * @param capacity the bound of the live queue
     * @param overflow the overflow action
     */
    public ReferenceQueue(int capacity, Overflow overflow) {
        this.capacity = capacity;
        this.overflow = overflow;
    }

    /** History replayed before any live message. */
    public void replay(List<Long> offsets) {
        replay.addAll(offsets);
        offered += offsets.size();
    }

    /** A live message arrives. */
    public void offer(long offset) {
        if (closed) {
            return;
        }
        offered++;
        if (queue.size() < capacity) {
            queue.add(offset);
            return;
        }
        switch (overflow) {
            case DROP_OLDEST -> {
                queue.removeFirst();
                droppedOldest++;
                queue.add(offset);
            }
            case DROP_NEWEST -> droppedNewest++;
            case CLOSE -> {
                // The bound is passed: the subscription closes and everything that waits is lost with it.
                closed = true;
                closeReason = "SLOW_CONSUMER";
                droppedOnClose += replay.size() + queue.size() + 1;
                replay.clear();
                queue.clear();
            }
        }
    }

    /** The subscriber runs until nothing waits; a pending slow-consumer close is delivered last. */
    public void drain() {
        delivered.addAll(replay);
        replay.clear();
        delivered.addAll(queue);
        queue.clear();
        if (closed) {
            closeDelivered = true;
        }
    }

    /**
     * The broker closes: the subscription is closed, what waits is discarded, and the subscriber is told at once
     * why it was closed: as a slow consumer if that had already happened, else because the broker closed.
     */
    public void closeByBroker() {
        if (!closed) {
            closed = true;
            closeReason = "BROKER_CLOSED";
            droppedOnClose += replay.size() + queue.size();
            replay.clear();
            queue.clear();
        }
        closeDelivered = true;
    }

    /** Offsets delivered so far, in order. */
    public List<Long> delivered() {
        return List.copyOf(delivered);
    }

    /** Messages offered to the subscription while it was open (replayed ones included). */
    public long offered() {
        return offered;
    }

    public long droppedOldest() {
        return droppedOldest;
    }

    public long droppedNewest() {
        return droppedNewest;
    }

    public long droppedOnClose() {
        return droppedOnClose;
    }

    /** Messages waiting: replay not yet delivered plus the live queue. */
    public long pending() {
        return replay.size() + queue.size();
    }

    /** Whether the subscription is closed (it may not have been told yet). */
    public boolean isClosed() {
        return closed;
    }

    /** The close reasons the subscriber must have been told of: none, or the one reason it was closed for. */
    public List<String> closesTold() {
        return closeDelivered && closeReason != null ? List.of(closeReason) : List.of();
    }
}
