package io.tokentap.loadgen.analysis;

/** How a level fares against the SLA: see {@link SlaPolicy#classify(LevelSummary)}. */
public enum SlaTier {
    /** p95 TTFT and error rate both inside the normal band (defaults: < 500 ms, < 0.1%). */
    NORMAL,
    /** Worse than normal but inside the degraded band (defaults: 500–2,000 ms, < 1%). */
    DEGRADED,
    /** Beyond the degraded band on either figure. */
    BREACH
}
