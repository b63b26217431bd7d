package io.tokentap.proxy.protect;

import java.time.Duration;

/**
 * Which of the four timeouts of {@link ProtectionConfig.Timeouts} ended a request. The label is bounded and is
 * what the relay reports beside the {@code timeout} outcome.
 */
public enum TimeoutKind {
    CONNECT("connect"),
    FIRST_BYTE("first_byte"),
    IDLE("idle"),
    TOTAL("total");

    private final String label;

    TimeoutKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** This timeout's duration in {@code timeouts}. */
    public Duration of(ProtectionConfig.Timeouts timeouts) {
        switch (this) {
            case CONNECT:
                return timeouts.connect();
            case FIRST_BYTE:
                return timeouts.firstByte();
            case IDLE:
                return timeouts.idle();
            default:
                return timeouts.total();
        }
    }

    /** The error type written in the 504 the client gets when this timeout fires before the response started. */
    public String errorType() {
        return label + "_timeout";
    }
}
