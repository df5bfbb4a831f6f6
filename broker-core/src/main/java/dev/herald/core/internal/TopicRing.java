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
 * restart) and stored in <em>segments</em> of {@value #SEGMENT} consecutive sequences. A segment is a fresh array,
 * filled once, in order, and never written again: the writer never stores into memory that a reader on another
 * core has read (that store would first have to take the cache line back from the reader's core), and a reader
 * needs no check per message. The ring is an index of the newest segments; starting a segment replaces the oldest
 * one in the index. A reader that falls so far behind that the segment it wants was replaced (or was not carried
 * over into a grown index) is <em>lapped</em>: {@link #read} returns {@code null} and the reader counts the message
 * as dropped. Readers that keep within their bound are never lapped: the ring starts at one segment and grows, up
 * to twice the largest bound of its readers, whenever starting a segment would replace one holding a message that a
 * reader has not taken.
 *
 * <p>Concurrency: one writer ({@link #appendAll}), which the hub guarantees by calling it only from
 * a topic's dispatch, and the engine never dispatches one topic concurrently; any number of readers. The writer
 * stores the message into its segment, then the tail (a release store); a reader reads only sequences up to a tail
 * it has read, so what it finds in a segment whose first sequence is the one it expects is the right message. A
 * segment's first sequence is a final field: a reader that meets a newer segment in the index slot knows it was
 * lapped. Growth publishes a new index holding the same segments; readers that still hold the old one find there the
 * segments made before the growth, and look again for later ones.
 *
 * @param <T> payload type
 */
final class TopicRing<T> {
    /** Messages per segment: 16 references fill one 64-byte cache line (with compressed references). */
    static final int SEGMENT = 16;
    private static final int SEGMENT_SHIFT = 4;
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

    /** {@value #SEGMENT} consecutive sequences from {@code first}, a multiple of {@value #SEGMENT}. */
    private static final class Segment<T> {
        final long first;
        final Message<T>[] messages;

        @SuppressWarnings("unchecked")
        Segment(long first) {
            this.first = first;
            this.messages = (Message<T>[]) new Message<?>[SEGMENT];
        }
    }

    /** One generation of the index; replaced, never resized. */
    private static final class Slots<T> {
        final Segment<T>[] segments;
        final int mask;

        @SuppressWarnings("unchecked")
        Slots(int segmentCount) {
            segments = (Segment<T>[]) new Segment<?>[segmentCount];
            mask = segmentCount - 1;
        }

        int capacity() {
            return segments.length << SEGMENT_SHIFT;
        }

        Segment<T> slotOf(long first) {
            return segments[(int) (first >>> SEGMENT_SHIFT) & mask];
        }
    }

    private volatile Slots<T> slots = new Slots<>(1);
    /** Sequence of the newest message; 0 before the first. Written by the writer only, with release semantics. */
    private volatile long tail;
    /** Readers whose drain went idle, newest first. Pushed by readers, taken whole by the writer. */
    private volatile Sleeper sleepers;
    /**
     * The most messages growth may reach: a power of two, at least twice the largest bound of a reader, and at least
     * two segments, so that the newest {@code bound} messages of a bound under a segment, which may span the segment
     * being filled and the one before, are never in a segment that starting another one replaces.
     */
    private volatile int capacityLimit = 2 * SEGMENT;
    /**
     * Writer-only: no reader's cursor is below this. Cursors only grow, and a reader starts at the tail, so it stays
     * a valid lower bound; the writer refreshes it, by asking the readers, only when it is about to replace a segment
     * holding a message above it.
     */
    private long lowestCursorHint;
    /** Writer-only: the segment being filled. */
    private Segment<T> filling;

    /** The sequence of the newest message, 0 if none. */
    long tail() {
        return tail;
    }

    /** Number of messages the index now holds. */
    int capacity() {
        return slots.capacity();
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

    /** Stores one message into its segment, starting the segment if it is the first; the caller moves the tail. */
    private void write(Message<T> message, long sequence, CursorSource readers) {
        int within = (int) sequence & (SEGMENT - 1);
        Segment<T> segment = filling;
        if (within == 0 || segment == null) {
            segment = startSegment(sequence - within, readers);
        }
        segment.messages[within] = message;
    }

    /** Makes the segment from {@code first} and puts it in the index, growing the index first if need be. */
    private Segment<T> startSegment(long first, CursorSource readers) {
        Slots<T> current = slots;
        int capacity = current.capacity();
        // The last sequence of the segment that this one replaces in the index.
        long replacedLast = first - capacity + SEGMENT - 1;
        if (replacedLast > lowestCursorHint && capacity < capacityLimit) {
            lowestCursorHint = readers.lowestCursor();
            if (replacedLast > lowestCursorHint) {
                current = grow(current, first);
            }
        }
        Segment<T> segment = new Segment<>(first);
        current.segments[(int) (first >>> SEGMENT_SHIFT) & current.mask] = segment;
        filling = segment;
        return segment;
    }

    /**
     * The message with a sequence, which must be at most a {@link #tail()} the caller has read: that read made the
     * segment's contents visible, and a segment is never written again.
     *
     * @return the message, or {@code null} if its segment has since been replaced (the reader was lapped)
     */
    Message<T> read(long sequence) {
        Message<T>[] segment = segmentOf(sequence);
        return segment == null ? null : segment[(int) sequence & (SEGMENT - 1)];
    }

    /**
     * The messages of the segment holding a sequence, indexed by {@code sequence & (SEGMENT - 1)}, for a reader that
     * takes several in a row; the same conditions as {@link #read}, for every sequence the caller reads in it.
     *
     * @return the segment's messages, or {@code null} if it has since been replaced (the reader was lapped)
     */
    Message<T>[] segmentOf(long sequence) {
        long first = sequence & -SEGMENT;
        Slots<T> current = slots;
        while (true) {
            Segment<T> segment = current.slotOf(first);
            if (segment != null) {
                if (segment.first == first) {
                    return segment.messages;
                }
                if (segment.first > first) {
                    return null;
                }
            }
            // An older segment, or none: this one was started after the index was replaced by a larger one.
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
     * Writer, after {@link #appendAll} and a full fence: wakes every sleeping reader.
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

    /**
     * Doubles the index until starting the segment from {@code first} would replace none that a reader still needs,
     * within the limit, and carries the segments over.
     */
    private Slots<T> grow(Slots<T> current, long first) {
        int capacity = current.capacity();
        long needed = first + SEGMENT - 1 - lowestCursorHint;
        while (capacity < needed && capacity < capacityLimit) {
            capacity <<= 1;
        }
        Slots<T> grown = new Slots<>(capacity >>> SEGMENT_SHIFT);
        for (Segment<T> segment : current.segments) {
            if (segment != null) {
                grown.segments[(int) (segment.first >>> SEGMENT_SHIFT) & grown.mask] = segment;
            }
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
