package io.tokentap.sim.engine;

import java.util.PriorityQueue;

/** Runs the engine in virtual time: tasks run in deadline order and the clock jumps to each deadline. */
public final class VirtualExecutor implements EngineExecutor {
    private record Task(long at, long seq, Runnable task) {}

    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void execute(Runnable task) {
        queue.add(new Task(now, seq++, task));
    }

    @Override
    public void schedule(Runnable task, long delayNanos) {
        queue.add(new Task(now + Math.max(0, delayNanos), seq++, task));
    }

    @Override
    public boolean inEngineThread() {
        return true;
    }

    /** Runs tasks until none is left or the clock passes {@code untilNanos}. */
    public void runUntil(long untilNanos) {
        while (!queue.isEmpty() && queue.peek().at <= untilNanos) {
            Task t = queue.poll();
            now = t.at;
            t.task.run();
        }
    }

    /** Runs tasks until none is left. */
    public void runAll() {
        runUntil(Long.MAX_VALUE);
    }
}
