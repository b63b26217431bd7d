package io.tokentap.loadgen.exec;

import java.util.concurrent.atomic.AtomicLong;

/** The run's request limit, shared by every stage and thread: each request takes one permit. */
public final class RequestBudget {

    private final AtomicLong remaining;

    public RequestBudget(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("max requests: " + max + " (expected: > 0)");
        }
        this.remaining = new AtomicLong(max);
    }

    /** Takes a permit, or returns false when the limit is reached. */
    public boolean tryTake() {
        return remaining.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0;
    }

    public boolean exhausted() {
        return remaining.get() <= 0;
    }
}
