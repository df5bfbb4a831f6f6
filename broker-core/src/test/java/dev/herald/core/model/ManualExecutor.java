package dev.herald.core.model;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;

/**
 * An executor that only collects tasks; the test runs them when it wants, which makes a subscriber "slow" on
 * demand and deterministically. Thread-safe, so a publisher thread may hand it tasks while the test runs them.
 */
public final class ManualExecutor implements Executor {
    private final Deque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
    }

    /** How many tasks wait. */
    public synchronized int queued() {
        return tasks.size();
    }

    /** Runs the tasks that wait, and those they submit, until none is left; returns how many ran. */
    public int runAll() {
        int ran = 0;
        Runnable task;
        while ((task = next()) != null) {
            task.run();
            ran++;
        }
        return ran;
    }

    private synchronized Runnable next() {
        return tasks.poll();
    }
}
