package io.tokentap.proxy.protect.shed;

import io.tokentap.proxy.upstream.UpstreamFigures;
import io.tokentap.proxy.upstream.UpstreamState;
import java.util.Objects;

/**
 * The shedder's view of the upstream scraper: KV-cache usage and waiting requests from
 * {@link UpstreamState#current()}; stale or unknown figures are {@code NaN} there and unknown here.
 */
public final class UpstreamStateSignals implements UpstreamSignals {

    private final UpstreamState state;

    public UpstreamStateSignals(UpstreamState state) {
        this.state = Objects.requireNonNull(state, "state");
    }

    @Override
    public double kvCacheUsage() {
        return state.current().kvCacheUsage();
    }

    @Override
    public long waitingRequests() {
        UpstreamFigures f = state.current();
        double w = f.requestsWaiting();
        return Double.isNaN(w) ? -1 : (long) w;
    }
}
