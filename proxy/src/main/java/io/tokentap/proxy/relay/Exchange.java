package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.capture.CaptureBody;
import io.tokentap.proxy.capture.CapturedExchange;
import io.tokentap.proxy.protect.limit.Ticket;
import io.tokentap.proxy.protect.retry.RetryState;

/**
 * One request and its response as they pass through the relay, with its timeline, its timing-tap decoder and its
 * reporting to the metrics and the request log. Lives on one event loop (the client's, which is also its upstream
 * connection's), so its fields are plain. Measuring never fails the request: a decoder, metrics or log failure is
 * counted and the relay goes on.
 */
final class Exchange implements RequestTimeline.IntervalListener {

    final String method;
    final String route;
    final HttpVersion clientVersion;
    final RequestTimeline timeline;
    final ModelPeek peek;
    private final RelayContext rc;

    /** The request head to send upstream, until it has been sent. */
    HttpRequest pendingRequest;
    boolean clientKeepAlive;

    Channel upstream;
    /** The relay handler of {@link #upstream}, while it is held. */
    UpstreamRelayHandler upstreamHandler;
    boolean requestDone;
    boolean responseStarted;
    boolean responseDone;
    boolean upstreamReusable;
    /** A 1xx response's empty end marker is not the end of the exchange. */
    boolean swallowNextLast;
    /** The response head went to the client with {@code Transfer-Encoding: chunked}. */
    boolean chunkedToClient;
    long bytesOut;

    // Protection (all unused when the proxy runs unprotected).
    /** The admission's hold on the limits, released when the exchange finishes. */
    Ticket ticket;
    RetryState retry;
    /** The request as sent upstream, kept for retries (the body as a retained duplicate). */
    HttpRequest headCopy;
    LastHttpContent bodyCopy;
    boolean bodyPartRelayed;
    /** A breaker permission was taken for the current attempt and not yet answered. */
    boolean breakerHeld;
    long attemptStartNanos;
    long lastUpstreamReadNanos;
    Future<?> retryTimer;
    Future<?> firstByteTimer;
    Future<?> idleTimer;
    Future<?> totalTimer;
    /** The proxy added {@code include_usage} to the request; its usage chunk is filtered out of the response. */
    boolean usageInjected;
    UsageChunkFilter usageFilter;

    // Capture (unused when the request is not recorded).
    private boolean capturing;
    private long captureArrivalUs;
    private String captureTenant;
    private CaptureBody captureBody;

    private String format = "UNKNOWN";
    private StreamDecoder decoder;
    private String model;
    /** The raw pipeline-node header, or {@code null}; the metrics bound it. */
    private String node;
    private boolean announced;
    private boolean finished;
    private RequestTimeline.IntervalListener intervals = RequestTimeline.IntervalListener.NONE;

    Exchange(RelayContext rc, String method, String route, HttpVersion clientVersion, long startNanos) {
        this.rc = rc;
        this.method = method;
        this.route = route;
        this.clientVersion = clientVersion;
        this.peek = new ModelPeek(rc.json(), rc.config().relay().modelPeekBytes());
        this.timeline = new RequestTimeline(startNanos, this);
    }

    /** The model as far as known: from the request body, or {@code "unknown"}. */
    String model() {
        if (model != null) {
            return model;
        }
        String m = peek.model();
        return m == null ? "unknown" : m;
    }

    /** Sets the request's pipeline node (the raw header value, or {@code null} when absent). */
    void node(String node) {
        this.node = node;
    }

    /** Marks the request as sampled for the capture: its body is copied as it passes, and it is recorded at the end. */
    void startCapture(long arrivalUs, String tenant, int maxBodyBytes) {
        capturing = true;
        captureArrivalUs = arrivalUs;
        captureTenant = tenant;
        captureBody = maxBodyBytes > 0 ? new CaptureBody(maxBodyBytes) : null;
    }

    /** Copies a request body part for the capture (the part itself is relayed unchanged). */
    void captureRequest(ByteBuf content) {
        if (captureBody != null) {
            captureBody.append(content);
        }
    }

    /** Looks at a request body part for the model; announces the request once the model is settled. */
    void peekRequest(ByteBuf content, boolean last) {
        if (peek.done()) {
            return;
        }
        peek.feed(content);
        if (last) {
            peek.end();
        }
        if (peek.done()) {
            announce();
        }
    }

    /** Tells the metrics the request is in flight (once), with the model known by now. */
    void announce() {
        if (announced) {
            return;
        }
        announced = true;
        model = model();
        try {
            rc.metrics().requestStarted(route, model);
            RequestTimeline.IntervalListener l = rc.metrics().intervals(route, model, node);
            intervals = l == null ? RequestTimeline.IntervalListener.NONE : l;
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, this);
        }
    }

    /** The response head arrived: picks the decoder for its format. */
    void openTap(String contentType) {
        try {
            TimingTap.Decoding d = rc.tap().open(route, contentType, timeline);
            format = d.format();
            decoder = d.decoder();
        } catch (RuntimeException e) {
            rc.errors().report("tap", e, this);
        }
    }

    boolean tapping() {
        return decoder != null;
    }

    /** Shows a response read to the decoder; {@code bytes} is a view the caller releases. */
    void tap(ByteBuf bytes, long nanos) {
        try {
            decoder.feed(bytes, nanos);
        } catch (RuntimeException e) {
            rc.errors().report("tap", e, this);
            decoder = null;
        }
    }

    void endTap(long nanos) {
        if (decoder == null) {
            return;
        }
        try {
            decoder.end(nanos);
        } catch (RuntimeException e) {
            rc.errors().report("tap", e, this);
        }
        decoder = null;
    }

    /** The outcome of a response that arrived complete: its status, or an error the stream reported. */
    Outcome completedOutcome() {
        Outcome o = Outcome.ofStatus(timeline.status());
        return o == Outcome.OK && timeline.streamError() ? Outcome.UPSTREAM_5XX : o;
    }

    /** Ends the timeline and reports the request to the metrics and the request log, once. */
    void finish(Outcome outcome, long nanos) {
        if (finished) {
            return;
        }
        finished = true;
        if (usageFilter != null) {
            usageFilter.release();
        }
        releaseProtection();
        announce();
        timeline.end(nanos, outcome);
        try {
            rc.metrics().requestFinished(route, model, node, null, timeline);
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, this);
        }
        try {
            rc.requestLog().finished(method, route, model, format, timeline, bytesOut);
        } catch (RuntimeException e) {
            rc.errors().report("log", e, this);
        }
        if (capturing) {
            try {
                rc.capture().record(new CapturedExchange(captureArrivalUs, route, peek.model(), captureTenant,
                        captureBody == null ? null : captureBody.bytes(), CapturedExchange.summary(timeline)));
            } catch (RuntimeException e) {
                rc.errors().report("capture", e, this);
            }
            captureBody = null;
        }
    }

    boolean finished() {
        return finished;
    }

    /** Frees what protection holds: timers, the breaker permission, the kept body, the admission ticket. */
    private void releaseProtection() {
        if (retry == null && ticket == null) {
            return;
        }
        cancel(retryTimer);
        cancel(firstByteTimer);
        cancel(idleTimer);
        cancel(totalTimer);
        if (breakerHeld) {
            breakerHeld = false;
            rc.protection().breaker().release(); // the attempt told nothing about the upstream
        }
        if (bodyCopy != null) {
            bodyCopy.release();
            bodyCopy = null;
        }
        if (ticket != null) {
            Usage u = timeline.usage();
            long actual = u.inputTokens() >= 0 && u.outputTokens() >= 0 ? u.inputTokens() + u.outputTokens() : -1;
            ticket.release(actual);
        }
    }

    private static void cancel(Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public void interTokenLatency(long gapNanos, int tokens) {
        intervals.interTokenLatency(gapNanos, tokens);
    }

    @Override
    public String toString() {
        return method + " " + route;
    }
}
