package io.tokentap.proxy.admin;

import io.tokentap.proxy.upstream.UpstreamState;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Decides {@code /readyz}. Checks are cheap reads of state others maintain (the scraper, the circuit breaker, the
 * drain flag); they run on the admin event loop and must not block.
 *
 * <pre>{@code
 * ReadinessCheck ready = ReadinessCheck.all(
 *         ReadinessCheck.upstreamReachable(scraper),
 *         ReadinessCheck.circuitNotOpen(breaker::isOpen),
 *         ReadinessCheck.notDraining(drain::isDraining));
 * }</pre>
 */
@FunctionalInterface
public interface ReadinessCheck {

    ReadinessCheck ALWAYS = () -> Readiness.READY;

    Readiness check();

    /** Ready when every check is; the first failing check gives the reason. */
    static ReadinessCheck all(ReadinessCheck... checks) {
        List<ReadinessCheck> list = List.of(checks);
        return () -> {
            for (ReadinessCheck c : list) {
                Readiness r = c.check();
                if (!r.ready()) {
                    return r;
                }
            }
            return Readiness.READY;
        };
    }

    /** The upstream answered HTTP recently (from the scraper's polls). */
    static ReadinessCheck upstreamReachable(UpstreamState upstream) {
        return () -> upstream.reachable() ? Readiness.READY : Readiness.notReady("upstream unreachable");
    }

    /** The upstream's circuit breaker is not open. */
    static ReadinessCheck circuitNotOpen(BooleanSupplier circuitOpen) {
        return () -> circuitOpen.getAsBoolean() ? Readiness.notReady("circuit open") : Readiness.READY;
    }

    /** The proxy is not draining for shutdown. */
    static ReadinessCheck notDraining(BooleanSupplier draining) {
        return () -> draining.getAsBoolean() ? Readiness.notReady("draining") : Readiness.READY;
    }
}
