package io.tokentap.core.timeline;

import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;

/**
 * One request's timestamps and the figures derived from them, under the one metric definition that the proxy and
 * the load generator share (see {@code docs/metrics.md}). All times are {@code System.nanoTime()} values.
 *
 * <p>A timeline is a {@link StreamEventSink}: a decoder feeds it directly. It keeps running sums, not a list of
 * events, so its size does not grow with the response. Per-event gaps are handed to an {@link IntervalListener}
 * as they happen (the proxy records them into histograms). Not thread-safe: one timeline belongs to one channel.
 *
 * <pre>{@code
 * RequestTimeline t = new RequestTimeline(startNanos, IntervalListener.NONE);
 * t.firstByte(now);
 * decoder.feed(buf, now);   // decoder reports to t
 * t.end(now, Outcome.OK);
 * long ttft = t.ttftNanos();
 * }</pre>
 */
public final class RequestTimeline implements StreamEventSink {

    /** Returned by a figure that is not defined for this request (no content event, a single token, ...). */
    public static final long UNDEFINED = -1;

    /** Receives each inter-token gap as it is measured. */
    @FunctionalInterface
    public interface IntervalListener {
        IntervalListener NONE = (gapNanos, tokens) -> { };

        /**
         * A gap between two consecutive content events.
         *
         * @param gapNanos the per-event ITL
         * @param tokens   the tokens the later event carried (at least 1); the per-token ITL is gap / tokens
         */
        void interTokenLatency(long gapNanos, int tokens);

        /**
         * Every gap measured so far has been reported: a listener that holds some back records them now. The timeline
         * calls it when the request ends; a reader may call it after each read.
         */
        default void flush() {
        }
    }

    private final long startNanos;
    private final IntervalListener intervals;

    private long firstByteNanos = UNDEFINED;
    private long firstTokenNanos = UNDEFINED;
    private long lastTokenNanos = UNDEFINED;
    private long endNanos = UNDEFINED;

    private long contentEvents;
    private long countedTokens;
    private long maxStallNanos = UNDEFINED;
    // Welford's running mean and sum of squared deviations of the per-event ITL.
    private long itlCount;
    private double itlMean;
    private double itlM2;

    private Usage usage = Usage.NONE;
    private boolean streamError;
    private String streamErrorType;
    private boolean sawDone;
    private int status;
    private Outcome outcome;

    public RequestTimeline(long startNanos, IntervalListener intervals) {
        this.startNanos = startNanos;
        this.intervals = intervals;
    }

    public RequestTimeline(long startNanos) {
        this(startNanos, IntervalListener.NONE);
    }

    /** The first response byte arrived. Later calls are ignored. */
    public void firstByte(long nanos) {
        if (firstByteNanos == UNDEFINED) {
            firstByteNanos = nanos;
        }
    }

    /** The upstream's HTTP status. */
    public void status(int status) {
        this.status = status;
    }

    @Override
    public void content(long nanos, ContentKind kind, int tokens, String text) {
        int k = Math.max(1, tokens);
        firstByte(nanos);
        if (firstTokenNanos == UNDEFINED) {
            firstTokenNanos = nanos;
        } else {
            long gap = nanos - lastTokenNanos;
            if (gap > maxStallNanos) {
                maxStallNanos = gap;
            }
            itlCount++;
            double delta = gap - itlMean;
            itlMean += delta / itlCount;
            itlM2 += delta * (gap - itlMean);
            intervals.interTokenLatency(gap, k);
        }
        lastTokenNanos = nanos;
        contentEvents++;
        countedTokens += k;
    }

    @Override
    public void empty(long nanos) {
        firstByte(nanos);
    }

    @Override
    public void usage(long nanos, Usage reported) {
        usage = usage.merge(reported);
    }

    @Override
    public void error(long nanos, String type, String message) {
        streamError = true;
        streamErrorType = type;
    }

    @Override
    public void done(long nanos) {
        sawDone = true;
    }

    /** The request ended with this outcome. Later calls are ignored, so the first cause wins. */
    public void end(long nanos, Outcome outcome) {
        if (this.outcome == null) {
            this.endNanos = nanos;
            this.outcome = outcome;
            intervals.flush();
        }
    }

    public boolean ended() {
        return outcome != null;
    }

    public long startNanos() {
        return startNanos;
    }

    public long firstByteNanos() {
        return firstByteNanos;
    }

    public long firstTokenNanos() {
        return firstTokenNanos;
    }

    public long lastTokenNanos() {
        return lastTokenNanos;
    }

    public long endNanos() {
        return endNanos;
    }

    /** Time to first byte: first response byte − start. */
    public long ttfbNanos() {
        return firstByteNanos == UNDEFINED ? UNDEFINED : firstByteNanos - startNanos;
    }

    /** Time to first token: first content event − start. Role-only and empty chunks do not count. */
    public long ttftNanos() {
        return firstTokenNanos == UNDEFINED ? UNDEFINED : firstTokenNanos - startNanos;
    }

    /** End to end: end − start. */
    public long e2eNanos() {
        return endNanos == UNDEFINED ? UNDEFINED : endNanos - startNanos;
    }

    /**
     * Time per output token: (last token − first token) / (output tokens − 1), with {@link #outputTokens()}.
     * Undefined below two tokens, and when the first and last content events share one timestamp (a single event, as
     * in a non-streaming response, or several events that arrived in the same read): there the formula would give 0,
     * which says nothing about decode speed and would drag the TPOT distribution down.
     */
    public long tpotNanos() {
        long tokens = outputTokens();
        if (firstTokenNanos == UNDEFINED || contentEvents < 2 || lastTokenNanos == firstTokenNanos || tokens < 2) {
            return UNDEFINED;
        }
        return (lastTokenNanos - firstTokenNanos) / (tokens - 1);
    }

    /** The largest gap between two content events, or {@link #UNDEFINED} with fewer than two. */
    public long maxStallNanos() {
        return maxStallNanos;
    }

    /** The number of per-event ITL gaps measured. */
    public long itlCount() {
        return itlCount;
    }

    /** The mean per-event ITL in nanoseconds, or NaN without gaps. */
    public double itlMeanNanos() {
        return itlCount == 0 ? Double.NaN : itlMean;
    }

    /** Coefficient of variation of the per-event ITL (population std / mean), or NaN with fewer than two gaps. */
    public double itlCv() {
        if (itlCount < 2 || itlMean <= 0) {
            return Double.NaN;
        }
        return Math.sqrt(itlM2 / itlCount) / itlMean;
    }

    public long contentEvents() {
        return contentEvents;
    }

    /** Tokens counted from the stream: the stated count of each content event, or one per event. */
    public long countedTokens() {
        return countedTokens;
    }

    /**
     * Output tokens: the server's usage when present, else the counted tokens. When the usage reports fewer tokens
     * than were counted, it is stale and the count wins: a stream cancelled after Anthropic's {@code message_start}
     * (which says {@code output_tokens: 1}) but before the final {@code message_delta}, or a vLLM stream with
     * continuous usage cut between two reports.
     */
    public long outputTokens() {
        return usage.hasOutputTokens() ? Math.max(usage.outputTokens(), countedTokens) : countedTokens;
    }

    public Usage usage() {
        return usage;
    }

    public boolean streamError() {
        return streamError;
    }

    public String streamErrorType() {
        return streamErrorType;
    }

    public boolean sawDone() {
        return sawDone;
    }

    public int status() {
        return status;
    }

    /** How the request ended, or {@code null} while it runs. */
    public Outcome outcome() {
        return outcome;
    }
}
