package dev.herald.redis.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks posted to it one at a time, in the order posted, on an executor: the state of whatever owns it is
 * then confined to one task at a time, without a lock, while tasks arrive from any thread (Lettuce's event loops,
 * the broker's threads, timers). At most one drain is scheduled at a time, so the executor's queue holds at most
 * one task per mailbox; a drain runs a bounded number of tasks, then goes to the back of the executor's queue, so
 * one busy topic cannot keep a thread from the others.
 *
 * <p>Thread-safe. Unbounded by itself: owners bound what they post (see {@link TopicFeed}).
 */
final class Mailbox {
    private static final Logger LOG = LoggerFactory.getLogger(Mailbox.class);
    private static final int TASKS_PER_RUN = 256;

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger scheduled = new AtomicInteger();
    private final Executor executor;
    private final String owner;
    private final Runnable drain = this::drain;

    Mailbox(Executor executor, String owner) {
        this.executor = executor;
        this.owner = owner;
    }

    void post(Runnable task) {
        tasks.add(task);
        if (scheduled.getAndIncrement() == 0) {
            schedule();
        }
    }

    private void schedule() {
        try {
            executor.execute(drain);
        } catch (RejectedExecutionException e) {
            // The engine is closing: what waits is dropped with it.
            tasks.clear();
            scheduled.set(0);
        }
    }

    private void drain() {
        int ran = 0;
        while (true) {
            Runnable task = tasks.poll();
            if (task == null) {
                return; // never while counted tasks remain: a post adds its task before it counts it
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("task of {} failed; carrying on", owner, e);
            }
            if (scheduled.decrementAndGet() == 0) {
                return;
            }
            if (++ran == TASKS_PER_RUN) {
                schedule();
                return;
            }
        }
    }
}
