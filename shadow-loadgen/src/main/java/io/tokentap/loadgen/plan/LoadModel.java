package io.tokentap.loadgen.plan;

/** How a stage decides when requests start. */
public enum LoadModel {
    /** N concurrent streams; each starts its next request when the last one ends. */
    CLOSED,
    /** Arrivals at a rate, whatever the responses do; latency counts from the intended start. */
    OPEN,
    /** Arrivals at recorded times divided by a speed-up. */
    REPLAY
}
