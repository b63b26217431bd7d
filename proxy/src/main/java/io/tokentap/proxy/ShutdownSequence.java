package io.tokentap.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the proxy's shutdown hook, run in order, each within a time limit of its own. The JVM waits for a
 * shutdown hook without limit (and {@code System.exit} on any other thread waits with it), so a hook that blocks
 * forever keeps a terminated process alive until something kills it. Here no step can do that: each runs on a daemon
 * thread of its own and the sequence waits for it at most its limit; a step still running then is interrupted,
 * logged and left behind (a daemon thread does not keep the JVM up), and the next step starts. The whole sequence
 * therefore ends within the sum of the limits ({@link #budget()}).
 *
 * <pre>{@code
 * ShutdownSequence s = new ShutdownSequence()
 *         .step("drain", grace.plusSeconds(2), () -> server.drain(grace))
 *         .step("admin", Duration.ofSeconds(2), admin::close);
 * Runtime.getRuntime().addShutdownHook(new Thread(s::run, "tokentap-proxy-shutdown"));
 * }</pre>
 */
final class ShutdownSequence {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSequence.class);

    /** One step; it may block and may be interrupted. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    private record Named(String name, Duration limit, Step step) {
    }

    private final List<Named> steps = new ArrayList<>();

    /** Adds a step that may take at most {@code limit}. */
    ShutdownSequence step(String name, Duration limit, Step step) {
        Objects.requireNonNull(name, "name");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException(name + ": limit " + limit + " (expected: > 0)");
        }
        steps.add(new Named(name, limit, Objects.requireNonNull(step, "step")));
        return this;
    }

    /** The longest the whole sequence can take: the sum of the steps' limits. */
    Duration budget() {
        Duration sum = Duration.ZERO;
        for (Named n : steps) {
            sum = sum.plus(n.limit());
        }
        return sum;
    }

    /**
     * Runs the steps in order; returns within {@link #budget()}.
     *
     * @return whether every step finished within its limit
     */
    boolean run() {
        boolean all = true;
        for (Named n : steps) {
            Thread t = new Thread(() -> {
                try {
                    n.step().run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception | Error e) {
                    LOG.warn("shutdown: step {} failed: {}", n.name(), e.toString());
                }
            }, "tokentap-shutdown-" + n.name());
            t.setDaemon(true);
            t.start();
            try {
                t.join(Math.max(1, n.limit().toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (t.isAlive()) {
                LOG.warn("shutdown: step {} did not finish within {}; left behind", n.name(), n.limit());
                t.interrupt();
                all = false;
            }
        }
        return all;
    }
}
