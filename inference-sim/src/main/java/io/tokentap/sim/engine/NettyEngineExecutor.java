package io.tokentap.sim.engine;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;

/** The engine's thread is a Netty {@link EventExecutor}: its scheduled tasks wake at a nanosecond deadline. */
public final class NettyEngineExecutor implements EngineExecutor {
    private final EventExecutor executor;

    public NettyEngineExecutor(EventExecutor executor) {
        this.executor = executor;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    @Override
    public void schedule(Runnable task, long delayNanos) {
        if (delayNanos <= 0) {
            executor.execute(task);
        } else {
            executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public boolean inEngineThread() {
        return executor.inEventLoop();
    }
}
