package dev.herald.core.internal;

import dev.herald.core.Message;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The recent live messages of one topic, written once for every queued subscription of the topic, each of which
 * reads them through its own cursor. Publishing therefore costs the same whatever the number of such subscriptions,
 * and they share one copy of each reference instead of one queue entry each.
 *
 * <p>Messages are numbered by a ring sequence from 1 (not the topic offset, which a remote engine may skip or
 * restart). A reader that falls so far behind that a slot it wants was written again (or was not carried over
 * into a grown array) is <em>lapped</em>:
 * {@link #read} returns {@code null} and the reader counts the message as dropped. Readers that keep within their
 * bound are never lapped: the ring starts small and grows, up to twice the largest bound of its readers, whenever
 * the writer would otherwise overwrite a message a reader has not reached.
 *
 * <p>Concurrency: one writer ({@link #append}, {@link #appendAll}), which the hub guarantees by calling it only from a topic's dispatch,
 * and the engine never dispatches one topic concurrently; any number of readers. Each slot is a small seqlock: the
 * writer marks it, writes the message, then stores its sequence and the tail; a reader that has read the tail takes
 * the message, then checks the slot's sequence. Growth publishes a new array; readers that still hold the old one find the messages written
 * before the growth there, and look again for later ones.
 *
 * @param <T> payload type
 */
final class TopicRing<T> {
    private static final int INITIAL_CAPACITY = 16;
    /** In a slot's sequence while the writer replaces its message. */
    private static final long WRITING = -1;
    private static final VarHandle TAIL;
    private static final VarHandle SLEEPERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(TopicRing.class, "tail", long.class);
            SLEEPERS = lookup.findVarHandle(TopicRing.class, "sleepers", Sleeper.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A reader the writer wakes when a message arrives. */
    interface Reader {
        /** A message arrived after the reader went to sleep. Called on the writer's thread; must not block. */
        void wake();
    }

    /** A node of the sleepers stack. A reader may be in it more than once: the extra wake finds nothing to do. */
    private static final class Sleeper {
        final Reader reader;
        final Sleeper next;

        Sleeper(Reader reader, Sleeper next) {
            this.reader = reader;
            this.next = next;
        }
    }

    /** One generation of storage; replaced, never resized. */
    private static final class Slots<T> {
        final Message<T>[] messages;
        final long[] sequences;
        final int mask;

        @SuppressWarnings("unchecked")
        Slots(int capacity) {
            messages = (Message<T>[]) new Message<?>[capacity];
            sequences = new long[capacity];
            mask = capacity - 1;
        }
    }

    private volatile Slots<T> slots = new Slots<>(INITIAL_CAPACITY);
    /** Sequence of the newest message; 0 before the first. Written by the writer only, with release semantics. */
    private volatile long tail;
    /** Readers whose drain went idle, newest first. Pushed by readers, taken whole by the writer. */
    private volatile Sleeper sleepers;
    /** The most slots growth may reach: a power of two, at least twice the largest bound of a reader. */
    private volatile int capacityLimit = INITIAL_CAPACITY;
    /**
     * Writer-only: no reader's cursor is below this. Cursors only grow, and a reader starts at the tail, so it stays
     * a valid lower bound; the writer refreshes it, by asking the readers, only when it is about to overwrite a
     * message above it.
     */
    private long lowestCursorHint;

    /** The sequence of the newest message, 0 if none. */
    long tail() {
        return tail;
    }

    /** Number of slots now allocated. */
    int capacity() {
        return slots.messages.length;
    }

    /**
     * Lets the ring grow far enough for a reader that keeps up to {@code bound} messages. Called when a reader joins;
     * the limit never shrinks.
     */
    synchronized void admitReader(int bound) {
        int doubled = 2 * Math.max(1, bound);
        int wanted = Integer.highestOneBit(doubled - 1) << 1;
        if (wanted > capacityLimit) {
            capacityLimit = wanted;
        }
    }

    /**
     * Stores the next message. Writer only.
     *
     * @param message the message
     * @param readers asked for their cursors, if the message would overwrite one they may still need
     * @return its ring sequence
     */
    long append(Message<T> message, CursorSource readers) {
        long sequence = tail + 1;
        write(message, sequence, readers);
        TAIL.setRelease(this, sequence);
        return sequence;
    }

    /**
     * Stores messages {@code from} (inclusive) to {@code to} (exclusive) of a list, and moves the tail once, after
     * the last: readers that watch the tail see one change for all of them, rather than take its cache line away
     * from the writer once per message. Writer only.
     *
     * @return the ring sequence of the first
     */
    long appendAll(List<Message<T>> messages, int from, int to, CursorSource readers) {
        long first = tail + 1;
        long sequence = first;
        for (int i = from; i < to; i++) {
            write(messages.get(i), sequence++, readers);
        }
        TAIL.setRelease(this, sequence - 1);
        return first;
    }

    /** Writes one slot; the caller moves the tail over it afterwards. */
    private void write(Message<T> message, long sequence, CursorSource readers) {
        Slots<T> current = slots;
        int capacity = current.messages.length;
        long overwritten = sequence - capacity;
        if (overwritten > lowestCursorHint && capacity < capacityLimit) {
            lowestCursorHint = readers.lowestCursor();
            if (overwritten > lowestCursorHint) {
                current = grow(current, sequence - 1);
            }
        }
        int index = (int) sequence & current.mask;
        // Plain array accesses between fences, not array VarHandles: this runs per message, and the fences
        // compile to nothing on x86 but keep the compiler's order, where VarHandle calls are not always inlined.
        current.sequences[index] = WRITING;
        VarHandle.storeStoreFence();
        current.messages[index] = message;
        VarHandle.releaseFence();
        current.sequences[index] = sequence;
    }

    /**
     * The message with a sequence, which must be at most a {@link #tail()} the caller has read: that read made the
     * slot's contents visible, so only an overwrite since needs checking.
     *
     * @return the message, or {@code null} if the writer has since overwritten it (the reader was lapped)
     */
    Message<T> read(long sequence) {
        Slots<T> current = slots;
        while (true) {
            int index = (int) sequence & current.mask;
            Message<T> message = current.messages[index];
            // The writer marks the slot before it replaces the message, so a replaced message shows in the mark.
            VarHandle.loadLoadFence();
            long written = current.sequences[index];
            if (written == sequence) {
                return message;
            }
            if (written > sequence || written == WRITING) {
                return null;
            }
            // Either written after this array was replaced by a larger one, or lapped before a growth, which
            // copies only what the old array still held.
            Slots<T> newer = slots;
            if (newer == current) {
                return null;
            }
            current = newer;
        }
    }

    /**
     * Registers a reader whose drain goes idle. The reader must then read the tail once more and carry on if a
     * message arrived meanwhile: the writer stores the tail before it looks for sleepers, so one of the two sees
     * the other.
     */
    void sleep(Reader reader) {
        while (true) {
            Sleeper head = sleepers;
            if (SLEEPERS.compareAndSet(this, head, new Sleeper(reader, head))) {
                return;
            }
        }
    }

    /**
     * Writer, after {@link #append} and a full fence (the caller's volatile store): wakes every sleeping reader.
     * A plain read of the stack head when nobody sleeps.
     */
    void wakeSleepers() {
        if (sleepers == null) {
            return;
        }
        for (Sleeper sleeper = (Sleeper) SLEEPERS.getAndSet(this, null); sleeper != null; sleeper = sleeper.next) {
            sleeper.reader.wake();
        }
    }

    /** Doubles the storage until no reader's next message would be overwritten, within the limit. */
    private Slots<T> grow(Slots<T> current, long newest) {
        int capacity = current.messages.length;
        long needed = newest + 1 - lowestCursorHint;
        while (capacity < needed && capacity < capacityLimit) {
            capacity <<= 1;
        }
        Slots<T> grown = new Slots<>(capacity);
        long oldest = Math.max(1, newest - current.messages.length + 1);
        for (long sequence = oldest; sequence <= newest; sequence++) {
            int from = (int) sequence & current.mask;
            int to = (int) sequence & grown.mask;
            grown.messages[to] = current.messages[from];
            grown.sequences[to] = current.sequences[from];
        }
        slots = grown;
        return grown;
    }

    /** Where the writer learns how far behind the readers are. */
    @FunctionalInterface
    interface CursorSource {
        /**
         * The lowest cursor (sequence of the last message taken) of the ring's live readers, or the current tail
         * if none reads.
         */
        long lowestCursor();
    }
}
