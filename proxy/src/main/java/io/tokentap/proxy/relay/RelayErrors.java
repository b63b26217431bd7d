package io.tokentap.proxy.relay;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.tokentap.proxy.metrics.ProxyMetrics;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts relay errors under a bounded cause and logs them at most once a second per cause, with the number of
 * similar errors left out since the last line. Shared by every channel of one server; thread-safe.
 */
final class RelayErrors {

    private static final Logger LOG = LoggerFactory.getLogger(RelayErrors.class);
    private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

    /** The bounded cause tag. */
    enum Cause {
        CONNECT_REFUSED("connect_refused"),
        CONNECT_TIMEOUT("connect_timeout"),
        RESET("reset"),
        TIMEOUT("timeout"),
        PROTOCOL("protocol"),
        IO("io"),
        OTHER("other");

        final String label;

        Cause(String label) {
            this.label = label;
        }

        static Cause of(Throwable t) {
            if (t instanceof ConnectTimeoutException) {
                return CONNECT_TIMEOUT;
            }
            if (t instanceof ConnectException) {
                return CONNECT_REFUSED;
            }
            if (t instanceof TimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof DecoderException || t instanceof PrematureChannelClosureException) {
                return PROTOCOL;
            }
            if (t instanceof IOException) {
                String m = String.valueOf(t.getMessage());
                return m.contains("reset") || m.contains("Broken pipe") ? RESET : IO;
            }
            return OTHER;
        }
    }

    private final ProxyMetrics metrics;
    private final LongAdder[] counts = new LongAdder[Cause.values().length];
    private final AtomicLongArray lastLogNanos = new AtomicLongArray(Cause.values().length);
    private final AtomicLong suppressed = new AtomicLong();

    RelayErrors(ProxyMetrics metrics) {
        this.metrics = metrics;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
            lastLogNanos.set(i, System.nanoTime() - LOG_INTERVAL_NANOS);
        }
    }

    /** Counts and (rate-limited) logs an error. {@code context} says which request or connection it hit. */
    Cause report(String side, Throwable t, Object context) {
        return report(side, Cause.of(t), t, context);
    }

    /** Counts and logs an error whose cause the caller already knows. */
    Cause report(String side, Cause c, Throwable t, Object context) {
        counts[c.ordinal()].increment();
        try {
            metrics.relayError(side, c.label);
        } catch (RuntimeException e) {
            // Metrics never fail a request.
        }
        long now = System.nanoTime();
        long last = lastLogNanos.get(c.ordinal());
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(c.ordinal(), last, now)) {
            long left = suppressed.getAndSet(0);
            LOG.warn("{} error ({}) on {}: {}{}", side, c.label, context, t.toString(),
                    left > 0 ? " [" + left + " similar errors not logged]" : "");
        } else {
            suppressed.incrementAndGet();
        }
        return c;
    }

    long count(Cause c) {
        return counts[c.ordinal()].sum();
    }
}
