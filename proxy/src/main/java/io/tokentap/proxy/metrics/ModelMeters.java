package io.tokentap.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/** Per model: streams in flight, the windowed quantiles with their gauges, and the untenanted counters. */
final class ModelMeters {
    final String label;
    final ModelPrice price;
    private final MeterRegistry registry;
    final AtomicInteger inFlight = new AtomicInteger();
    final WindowedHistogram ttftWindow;
    final WindowedMoments itlWindow;
    // Counters without a tenant label, registered on first use (a counter at zero for every type would
    // add series nobody asked for) and then read without a registry lookup.
    // Event loops of several threads fill these: a volatile read on the hot path, and a race to register is
    // benign because register() returns the one registered counter to every caller.
    private final AtomicReferenceArray<Counter> tokens =
            new AtomicReferenceArray<>(MicrometerProxyMetrics.TOKEN_TYPES.length);
    private volatile Counter cost;

    Counter tokens(int type) {
        Counter c = tokens.get(type);
        if (c == null) {
            c = TokentapMeters.TOKENS.counter()
                    .tags("model", label, "type", MicrometerProxyMetrics.TOKEN_TYPES[type]).register(registry);
            tokens.set(type, c);
        }
        return c;
    }

    Counter cost() {
        Counter c = cost;
        if (c == null) {
            c = TokentapMeters.COST.counter().tags("model", label).register(registry);
            cost = c;
        }
        return c;
    }

    ModelMeters(MeterRegistry registry, String model, ModelPrice price, Duration window, LongSupplier nanoTime) {
        this.registry = registry;
        this.label = model;
        this.price = price;
        this.ttftWindow = new WindowedHistogram(window, nanoTime);
        this.itlWindow = new WindowedMoments(window, nanoTime);
        TokentapMeters.STREAMS_IN_FLIGHT.gauge(inFlight, AtomicInteger::get).tag("model", model)
                .strongReference(true).register(registry);
        for (double q : MicrometerProxyMetrics.QUANTILES) {
            TokentapMeters.TTFT_WINDOW.gauge(ttftWindow, w -> w.quantileSeconds(q))
                    .tags("model", model, "quantile", Double.toString(q)).strongReference(true).register(registry);
        }
        TokentapMeters.TTFT_P99_P50_RATIO.gauge(ttftWindow, WindowedHistogram::p99OverP50).tag("model", model)
                .strongReference(true).register(registry);
        TokentapMeters.ITL_CV.gauge(itlWindow, WindowedMoments::coefficientOfVariation).tag("model", model)
                .strongReference(true).register(registry);
    }
}
