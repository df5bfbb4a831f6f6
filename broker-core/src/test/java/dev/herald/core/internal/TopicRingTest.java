package dev.herald.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Message;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-topic ring: what a reader reads back, when the ring grows and when it stops growing, what a lapped reader
 * gets, how sleeping readers are woken, and, under a writer and racing readers, that a read is either the message
 * appended with that sequence or {@code null} for a reader that fell further behind than the ring may grow.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TopicRingTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    private static Message<Long> message(long sequence) {
        return new Message<>("m" + sequence, "t", sequence, NOW, sequence);
    }

    /** A reader that took everything: its cursor is the tail. */
    private static TopicRing.CursorSource keepsUp(TopicRing<Long> ring) {
        return ring::tail;
    }

    /** Appends one message, as a dispatch of one does. */
    private static <T> long append(TopicRing<T> ring, Message<T> message, TopicRing.CursorSource readers) {
        return ring.appendAll(List.of(message), 0, 1, readers);
    }

    @Test
    void readReturnsEachAppendedMessageNumberedFromOne() {
        TopicRing<Long> ring = new TopicRing<>();
        assertEquals(0, ring.tail());
        List<Message<Long>> appended = new ArrayList<>();
        for (long i = 1; i <= 10; i++) {
            Message<Long> m = message(i);
            appended.add(m);
            assertEquals(i, append(ring, m, keepsUp(ring)));
            assertEquals(i, ring.tail());
        }
        for (int i = 0; i < appended.size(); i++) {
            assertSame(appended.get(i), ring.read(i + 1), "sequence " + (i + 1));
        }
        assertEquals(16, ring.capacity());
    }

    @Test
    void limitIsTheNextPowerOfTwoAtLeastTwiceTheLargestBoundAndTwoSegments() {
        int[][] cases = {{1, 32}, {8, 32}, {9, 32}, {16, 32}, {17, 64}, {100, 256}, {128, 256}, {129, 512}};
        for (int[] c : cases) {
            TopicRing<Long> ring = new TopicRing<>();
            ring.admitReader(c[0]);
            // A reader that never moves from 0 makes the ring grow as far as it may.
            for (long i = 1; i <= 4L * c[1]; i++) {
                append(ring, message(i), () -> 0);
            }
            assertEquals(c[1], ring.capacity(), "bound " + c[0]);
        }
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(100);
        ring.admitReader(10);
        for (long i = 1; i <= 2_000; i++) {
            append(ring, message(i), () -> 0);
        }
        assertEquals(256, ring.capacity(), "a smaller bound admitted later must not lower the limit");
    }

    @Test
    void stuckReaderGrowsTheRingToItsLimitThenGetsLapped() {
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(100);
        int limit = 256;
        List<Message<Long>> appended = new ArrayList<>();
        appended.add(null);
        int lastCapacity = ring.capacity();
        for (long i = 1; i <= 1_000; i++) {
            Message<Long> m = message(i);
            appended.add(m);
            append(ring, m, () -> 0);
            int capacity = ring.capacity();
            assertTrue(capacity >= lastCapacity && capacity <= limit, "capacity " + capacity + " after " + i);
            lastCapacity = capacity;
            if (i < limit) {
                // Until the limit, nothing the stuck reader still needs is replaced.
                for (long s = 1; s <= i; s += Math.max(1, i / 7)) {
                    assertSame(appended.get((int) s), ring.read(s), "sequence " + s + " after " + i + " appends");
                }
            }
        }
        assertEquals(limit, ring.capacity());
        // Replaced a segment at a time: what is kept starts at the oldest segment still in the index.
        long oldestKept = (1_000 & -TopicRing.SEGMENT) - limit + TopicRing.SEGMENT;
        for (long s = 1; s < oldestKept; s++) {
            assertNull(ring.read(s), "sequence " + s + " was lapped");
        }
        for (long s = oldestKept; s <= 1_000; s++) {
            assertSame(appended.get((int) s), ring.read(s), "sequence " + s);
        }
    }

    @Test
    void readerThatKeepsUpNeverMakesTheRingGrow() {
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(1 << 16);
        AtomicLong cursor = new AtomicLong();
        for (long i = 1; i <= 10_000; i++) {
            Message<Long> m = message(i);
            append(ring, m, cursor::get);
            assertSame(m, ring.read(i));
            cursor.set(i);
        }
        assertEquals(16, ring.capacity());
    }

    @Test
    void readerWithinASegmentBehindNeverMakesTheRingGrowPastTwoSegments() {
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(1_000);
        AtomicLong cursor = new AtomicLong();
        for (long i = 1; i <= 5_000; i++) {
            append(ring, message(i), cursor::get);
            if (i % 16 == 0) {
                for (long s = cursor.get() + 1; s <= i; s++) {
                    assertEquals(s, ring.read(s).data());
                }
                cursor.set(i);
            }
        }
        // Starting a segment replaces the one before while this reader has not taken its last message yet.
        assertEquals(2 * TopicRing.SEGMENT, ring.capacity());
    }

    @Test
    void sequenceLappedBeforeAGrowthReadsAsNull() {
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(1_000);
        AtomicLong cursor = new AtomicLong();
        for (long i = 1; i <= 40; i++) {
            append(ring, message(i), cursor::get);
            cursor.set(i);
        }
        assertEquals(16, ring.capacity());
        // Sequences up to 24 were overwritten (and taken) while the ring was small; now the reader stops at 40.
        for (long i = 41; i <= 200; i++) {
            append(ring, message(i), cursor::get);
        }
        assertTrue(ring.capacity() > 16, "a reader stuck at 40 while 160 more came must make the ring grow");
        for (long s = 1; s <= 40; s++) {
            Message<Long> m = ring.read(s);
            assertTrue(m == null || m.data() == s, "sequence " + s + " read as " + m);
        }
        for (long s = 1; s <= 24; s++) {
            assertNull(ring.read(s), "sequence " + s + " was overwritten before the growth");
        }
        for (long s = 41; s <= 200; s++) {
            Message<Long> m = ring.read(s);
            assertNotNull(m, "sequence " + s + " is after the reader's cursor");
            assertEquals(s, m.data());
        }
    }

    @Test
    void everySleeperIsWokenOncePerRegistrationAndTheStackEmpties() {
        TopicRing<Long> ring = new TopicRing<>();
        Map<String, AtomicLong> wakes = new ConcurrentHashMap<>();
        TopicRing.Reader a = () -> wakes.computeIfAbsent("a", k -> new AtomicLong()).incrementAndGet();
        TopicRing.Reader b = () -> wakes.computeIfAbsent("b", k -> new AtomicLong()).incrementAndGet();
        TopicRing.Reader c = () -> wakes.computeIfAbsent("c", k -> new AtomicLong()).incrementAndGet();

        ring.wakeSleepers();
        assertEquals(Map.of(), wakes, "nobody sleeps: nobody is woken");

        ring.sleep(a);
        ring.sleep(b);
        ring.sleep(a);
        append(ring, message(1), keepsUp(ring));
        ring.wakeSleepers();
        assertEquals(2, wakes.get("a").get());
        assertEquals(1, wakes.get("b").get());
        assertNull(wakes.get("c"));

        ring.wakeSleepers();
        assertEquals(2, wakes.get("a").get(), "the stack was emptied by the first wake");
        assertEquals(1, wakes.get("b").get());

        ring.sleep(c);
        ring.wakeSleepers();
        assertEquals(1, wakes.get("c").get());
        assertEquals(2, wakes.get("a").get());
        assertEquals(1, wakes.get("b").get());
    }

    @Test
    void sleepersRegisteredConcurrentlyAreEachWokenOnce() throws Exception {
        TopicRing<Long> ring = new TopicRing<>();
        int readers = 4;
        int each = 20_000;
        AtomicLong[] wakes = new AtomicLong[readers];
        List<Future<?>> sleepers = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean registering = new AtomicBoolean(true);
        for (int r = 0; r < readers; r++) {
            AtomicLong count = wakes[r] = new AtomicLong();
            TopicRing.Reader reader = count::incrementAndGet;
            sleepers.add(threads.submit(() -> {
                start.await();
                for (int i = 0; i < each; i++) {
                    ring.sleep(reader);
                }
                return null;
            }));
        }
        Future<?> waker = threads.submit(() -> {
            start.await();
            while (registering.get()) {
                ring.wakeSleepers();
            }
            return null;
        });
        start.countDown();
        for (Future<?> sleeper : sleepers) {
            sleeper.get(20, TimeUnit.SECONDS);
        }
        registering.set(false);
        waker.get(20, TimeUnit.SECONDS);
        ring.wakeSleepers();
        for (int r = 0; r < readers; r++) {
            assertEquals(each, wakes[r].get(), "reader " + r + ": one wake per registration");
        }
    }

    // ---------------------------------------------------------------- one writer, racing readers

    private static final int BOUND = 1_000;
    private static final int LIMIT = 2_048;
    private static final long MAX_MESSAGES = 3_000_000;
    private static final long WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);

    /** One reader of the stress test, and what it saw. */
    private static final class StressReader {
        final String name;
        final int spinEvery;
        /** Stays about a ring's length behind, where the writer overwrites the slots it reads. */
        final boolean atTheEdge;
        /** Sequence of the last message taken, read by the writer. */
        final AtomicLong cursor = new AtomicLong();
        long read;
        long lapped;
        final List<String> violations = new CopyOnWriteArrayList<>();

        StressReader(String name, int spinEvery, boolean atTheEdge) {
            this.name = name;
            this.spinEvery = spinEvery;
            this.atTheEdge = atTheEdge;
        }

        void violation(String what) {
            if (violations.size() < 10) {
                violations.add(name + ": " + what);
            }
        }
    }

    @Test
    void readersSeeEitherTheMessageAppendedWithTheSequenceOrNullWhenLappedAtTheLimit() throws Exception {
        TopicRing<Long> ring = new TopicRing<>();
        ring.admitReader(BOUND);
        // The writer never lets the first reader fall BOUND behind, so it must never be lapped. The others run free
        // and may be lapped once the ring has reached its limit: one stalls now and then, one keeps right behind the
        // writer's overwrites, where a read races with the writer replacing that very slot.
        List<StressReader> readers = List.of(new StressReader("bounded", 97, false),
                new StressReader("stalling", 13, false), new StressReader("edge", 0, true));
        StressReader bounded = readers.get(0);
        TopicRing.CursorSource lowest = () -> {
            long min = Long.MAX_VALUE;
            for (StressReader reader : readers) {
                min = Math.min(min, reader.cursor.get());
            }
            return min;
        };
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        Future<Long> writer = threads.submit(() -> {
            start.await();
            long begin = System.nanoTime();
            long sequence = 0;
            try {
                while (sequence < MAX_MESSAGES && ((sequence & 1023) != 0 || System.nanoTime() - begin < WRITE_NANOS)) {
                    for (int waits = 0; sequence - bounded.cursor.get() >= BOUND; waits++) {
                        if (waits < 64) {
                            Thread.onSpinWait();
                        } else {
                            Thread.yield();
                        }
                    }
                    long next = sequence + 1;
                    long got = append(ring, new Message<>("m", "t", next, NOW, next), lowest);
                    if (got != next) {
                        throw new AssertionError("append " + next + " returned sequence " + got);
                    }
                    sequence = next;
                }
            } finally {
                writing.set(false);
            }
            return sequence;
        });
        List<Future<?>> running = new ArrayList<>();
        for (StressReader reader : readers) {
            running.add(threads.submit(() -> {
                start.await();
                read(ring, reader, writing);
                return null;
            }));
        }
        start.countDown();
        long written = writer.get(20, TimeUnit.SECONDS);
        for (Future<?> reader : running) {
            reader.get(20, TimeUnit.SECONDS);
        }
        List<String> violations = new ArrayList<>();
        for (StressReader reader : readers) {
            violations.addAll(reader.violations);
            assertEquals(written, reader.read + reader.lapped, reader.name + " did not account for every sequence");
        }
        assertEquals(List.of(), violations);
        assertEquals(0, bounded.lapped, "the reader kept within its bound was lapped");
        assertTrue(written > 10 * LIMIT, "only " + written + " messages written: the test hardly ran");
        assertTrue(ring.capacity() <= LIMIT, "capacity " + ring.capacity() + " beyond the limit " + LIMIT);
        System.out.printf("TopicRing stress: %d messages, capacity %d, lapped: %s%n", written, ring.capacity(),
                readers.stream().map(r -> r.name + "=" + r.lapped).toList());
    }

    private static void read(TopicRing<Long> ring, StressReader reader, AtomicBoolean writing) {
        long next = 1;
        long sink = 0;
        while (true) {
            long tail = ring.tail();
            if (next > tail) {
                if (!writing.get() && next > ring.tail()) {
                    return;
                }
                Thread.onSpinWait();
                continue;
            }
            for (; next <= tail; next++) {
                if (reader.atTheEdge) {
                    while (writing.get() && ring.tail() - next < LIMIT - 16) {
                        Thread.onSpinWait();
                    }
                }
                Message<Long> m = ring.read(next);
                if (m == null) {
                    reader.lapped++;
                    // Lapped: the writer reached the limit and came round to this slot (or is writing it now).
                    int capacity = ring.capacity();
                    long tailNow = ring.tail();
                    if (capacity != LIMIT || tailNow < next + capacity - TopicRing.SEGMENT) {
                        reader.violation("sequence " + next + " read as null with capacity " + capacity
                                + " and tail " + tailNow + " (cursor " + reader.cursor.get() + ")");
                    }
                } else {
                    reader.read++;
                    if (m.data() != next || m.offset() != next) {
                        reader.violation("sequence " + next + " read as the message of " + m.data());
                    }
                }
                reader.cursor.set(next);
                if (reader.spinEvery > 0 && next % reader.spinEvery == 0) {
                    // Stalls now and then, so the writer runs ahead and the ring grows (or laps this reader).
                    for (int i = 0; i < 200 + (int) (next % 1_000); i++) {
                        sink += i ^ next;
                        Thread.onSpinWait();
                    }
                }
            }
        }
    }
}
