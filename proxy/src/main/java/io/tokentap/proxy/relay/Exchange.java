package io.tokentap.proxy.relay;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.protect.limit.Ticket;
import io.tokentap.proxy.protect.retry.RetryState;

/**
 * One request and its response as they pass through the relay. Lives on one event loop (the client's, which is
 * also its upstream connection's), so its fields are plain.
 */
final class Exchange implements RequestTimeline.IntervalListener {

    final String method;
    final String route;
    final HttpVersion clientVersion;
    final RequestTimeline timeline;
    final ModelPeek peek;

    /** The request head to send upstream, until it has been sent. */
    HttpRequest pendingRequest;
    boolean clientKeepAlive;

    Channel upstream;
    boolean requestDone;
    boolean responseStarted;
    boolean responseDone;
    boolean upstreamReusable;
    /** A 1xx response's empty end marker is not the end of the exchange. */
    boolean swallowNextLast;
    boolean finished;

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

    String format = "UNKNOWN";
    StreamDecoder decoder;
    long bytesOut;

    private String model;
    private boolean announced;
    private RequestTimeline.IntervalListener intervals = RequestTimeline.IntervalListener.NONE;

    Exchange(String method, String route, HttpVersion clientVersion, long startNanos, ModelPeek peek) {
        this.method = method;
        this.route = route;
        this.clientVersion = clientVersion;
        this.peek = peek;
        this.timeline = new RequestTimeline(startNanos, this);
    }

    boolean announced() {
        return announced;
    }

    /** Marks the request as announced to the metrics, with the model known by now. */
    void announced(String resolvedModel, RequestTimeline.IntervalListener listener) {
        this.model = resolvedModel;
        this.intervals = listener;
        this.announced = true;
    }

    /** The model as far as known: from the request body, or {@code "unknown"}. */
    String model() {
        if (model != null) {
            return model;
        }
        String m = peek.model();
        return m == null ? "unknown" : m;
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
