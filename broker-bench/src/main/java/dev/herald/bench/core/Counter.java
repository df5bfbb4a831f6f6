package dev.herald.bench.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Cache-line padding before the counter value, so counters of different subscribers never share a line. */
abstract class CounterPadBefore {
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

/** The counter value. */
abstract class CounterValue extends CounterPadBefore {
    volatile long value;
}

/**
 * The messages one subscriber has received: what every benchmark subscriber does with a message, so all
 * variants pay the same per-message cost on the subscriber side.
 *
 * <p>Thread contract: one writer at a time (the thread delivering to this subscriber; each delivery mechanism
 * under test orders consecutive deliveries to one subscriber), any number of readers.
 */
final class Counter extends CounterValue {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(CounterValue.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long p11, p12, p13, p14, p15, p16, p17, p18;

    /** Counts one message. A release store: cheap on the delivering thread, yet visible to the waiting one. */
    void increment() {
        VALUE.setRelease(this, (long) VALUE.get(this) + 1);
    }

    long get() {
        return value;
    }

    static Counter[] create(int count) {
        Counter[] counters = new Counter[count];
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new Counter();
        }
        return counters;
    }

    /**
     * Waits until every counter has reached {@code expected}: a short spin, then yielding, so a waiting publisher
     * leaves the (possibly few) cores to the delivery threads. Every millisecond of waiting it calls
     * {@link FanOut#wakeUp()} of {@code fanOut}.
     *
     * @throws IllegalStateException if a counter is still short after 30 seconds, i.e. a message was lost
     */
    static void awaitAll(Counter[] counters, long expected, FanOut fanOut) {
        long start = 0;
        long nextWakeUp = 0;
        for (Counter counter : counters) {
            int spins = 0;
            while (counter.get() < expected) {
                if (++spins < 128) {
                    Thread.onSpinWait();
                    continue;
                }
                Thread.yield();
                if ((spins & 63) == 0) {
                    long now = System.nanoTime();
                    if (start == 0) {
                        start = now;
                        nextWakeUp = now + 1_000_000;
                    } else if (now - nextWakeUp > 0) {
                        fanOut.wakeUp();
                        nextWakeUp = now + 1_000_000;
                        if (now - start > 30_000_000_000L) {
                            throw new IllegalStateException("a subscriber has " + counter.get() + " of " + expected
                                    + " messages after 30 s");
                        }
                    }
                }
            }
        }
    }

    /** Checks that every counter holds exactly {@code expected}: nothing lost, nothing delivered twice. */
    static void verifyExactly(Counter[] counters, long expected, String what) {
        for (int i = 0; i < counters.length; i++) {
            long actual = counters[i].get();
            if (actual != expected) {
                throw new IllegalStateException(what + ": subscriber " + i + " received " + actual + " messages, "
                        + "expected exactly " + expected);
            }
        }
    }
}
