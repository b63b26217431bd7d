package io.tokentap.loadgen.exec;

import io.tokentap.loadgen.result.StageRecorder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The warm-up before a stage's measured window, and how long that window is held. The warm-up lasts at least
 * {@code min}, then ends as soon as the requests in flight have turned over once (as many warm-up requests ended as
 * are in flight, and at least {@link #MIN_ENDED}, so queues and caches hold what the level itself puts there), and at
 * the latest at {@code max}. Requests intended during the warm-up are recorded in {@code recorder} and kept out of
 * the stage's results. The measured window then lasts the stage's length, longer if fewer than {@code minRequests}
 * requests were sent in it (up to {@code LoadExecutor.HOLD_STRETCH} times the length). {@code ended} completes with
 * the instant (nanoTime) the measured window began.
 */
public record Warmup(Duration min, Duration max, long minRequests, StageRecorder recorder,
                     CompletableFuture<Long> ended) {

    /** The warm-up sees at least this many requests end, so that a cold first request is never all it saw. */
    public static final long MIN_ENDED = 3;

    public Warmup {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(ended, "ended");
        if (minRequests < 0) {
            throw new IllegalArgumentException("minRequests: " + minRequests + " (expected: >= 0)");
        }
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("warm-up: min " + min + ", max " + max + " (expected: 0 <= min <= max)");
        }
    }

    public Warmup(Duration min, Duration max, long minRequests, StageRecorder recorder) {
        this(min, max, minRequests, recorder, new CompletableFuture<>());
    }
}
