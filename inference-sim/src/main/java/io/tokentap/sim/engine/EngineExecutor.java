package io.tokentap.sim.engine;

/**
 * The single thread the engine runs on, and its clock. The server uses a Netty {@code EventExecutor}
 * ({@link NettyEngineExecutor}); tests drive the engine in virtual time.
 */
public interface EngineExecutor {
    /** Now, in nanoseconds ({@link System#nanoTime()} for the real one). */
    long nanoTime();

    /** Runs the task on the engine thread, soon. */
    void execute(Runnable task);

    /** Runs the task on the engine thread after the delay. */
    void schedule(Runnable task, long delayNanos);

    /** Whether the caller is on the engine thread. */
    boolean inEngineThread();
}
