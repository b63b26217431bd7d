package io.tokentap.proxy.protect.shed;

import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.Rejection;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sheds new requests while the upstream is saturated, with hysteresis: shedding starts when the KV-cache usage
 * or the waiting queue reaches its {@code On} threshold, and stops only once both are below their {@code Off}
 * thresholds, so a server hovering at the threshold does not make admission flap. Unknown signals count as below
 * every threshold: a broken scrape must not take traffic down (fail open).
 *
 * <p>Thread-safe and lock-free; {@link #shouldShed()} is two volatile reads of the signals and one of the state.
 */
public final class LoadShedder {

    private final ProtectionConfig.Shedding config;
    private final UpstreamSignals signals;
    private final AtomicBoolean shedding = new AtomicBoolean();
    private final AtomicLong transitions = new AtomicLong();

    public LoadShedder(ProtectionConfig.Shedding config, UpstreamSignals signals) {
        this.config = Objects.requireNonNull(config, "config");
        this.signals = Objects.requireNonNull(signals, "signals");
    }

    /** Whether a new request should be shed now. Updates the hysteresis state. */
    public boolean shouldShed() {
        if (!config.enabled()) {
            return false;
        }
        double kv = signals.kvCacheUsage();
        long waiting = signals.waitingRequests();
        boolean kvKnown = !Double.isNaN(kv);
        boolean queueKnown = waiting >= 0;
        if (shedding.get()) {
            boolean kvHigh = kvKnown && kv >= config.kvCacheOff();
            boolean queueHigh = queueKnown && waiting >= config.queueOff();
            if (!kvHigh && !queueHigh && shedding.compareAndSet(true, false)) {
                transitions.incrementAndGet();
            }
        } else {
            boolean kvOver = kvKnown && kv >= config.kvCacheOn();
            boolean queueOver = queueKnown && waiting >= config.queueOn();
            if ((kvOver || queueOver) && shedding.compareAndSet(false, true)) {
                transitions.incrementAndGet();
            }
        }
        return shedding.get();
    }

    /** Whether shedding is on, as of the last {@link #shouldShed()}. */
    public boolean shedding() {
        return shedding.get();
    }

    /** How many times shedding turned on or off. */
    public long transitions() {
        return transitions.get();
    }

    /** The 503 a shed request gets. */
    public Rejection rejection() {
        return Rejection.shed(config.retryAfter().toMillis());
    }
}
