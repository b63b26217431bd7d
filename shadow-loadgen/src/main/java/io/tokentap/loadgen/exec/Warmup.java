package io.tokentap.loadgen.exec;

import io.tokentap.loadgen.result.StageRecorder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The warm-up before a stage's measured window: it lasts at least {@code min}, then ends as soon as the requests in
 * flight have turned over once (as many warm-up requests ended as are in flight, so queues and caches hold what the
 * level itself puts there), and at the latest at {@code max}. Requests intended during the warm-up are recorded in
 * {@code recorder} and kept out of the stage's results. {@code ended} completes with the instant (nanoTime) the
 * measured window began.
 */
public record Warmup(Duration min, Duration max, StageRecorder recorder, CompletableFuture<Long> ended) {

    public Warmup {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(ended, "ended");
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("warm-up: min " + min + ", max " + max + " (expected: 0 <= min <= max)");
        }
    }

    public Warmup(Duration min, Duration max, StageRecorder recorder) {
        this(min, max, recorder, new CompletableFuture<>());
    }
}
