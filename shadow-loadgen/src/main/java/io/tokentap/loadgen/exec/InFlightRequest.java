package io.tokentap.loadgen.exec;

import io.netty.util.concurrent.Future;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.StageRecorder;
import io.tokentap.loadgen.workload.RequestSpec;
import java.util.function.BiConsumer;

/**
 * One request from its intended start to its end. Its timeline starts at the intended time (wrk2's rule: queueing
 * in the client counts); the actual send is kept beside it. Touched only on its worker's event loop, so plain
 * fields suffice.
 */
final class InFlightRequest {

    final RequestSpec spec;
    final long intendedNanos;
    final StageRecorder recorder;
    final RequestTimeline timeline;
    /** Records the timeline's inter-token gaps; flushed after each read (the timeline flushes it when it ends). */
    final StageRecorder.Events intervals;
    /** Called once, on the event loop, when the request has ended. */
    final BiConsumer<InFlightRequest, RequestOutcome> onEnd;

    long sentNanos = -1;
    /** For a later call of a session or pipeline: the first call's intended start, and the tokens before this call. */
    long chainStartNanos;
    long chainTokensBefore;
    StreamDecoder decoder;
    boolean keepAlive = true;
    /** The server's Retry-After (retry-after-ms first) in nanoseconds, or -1 when it gave none. */
    long retryAfterNanos = -1;
    /** The connection loop the request runs on. */
    io.netty.channel.EventLoop loop;
    Future<?> timeout;
    Future<?> abortTimer;
    RequestOutcome outcome;

    InFlightRequest(RequestSpec spec, long intendedNanos, StageRecorder recorder,
                    BiConsumer<InFlightRequest, RequestOutcome> onEnd) {
        this.spec = spec;
        this.intendedNanos = intendedNanos;
        this.recorder = recorder;
        this.intervals = recorder.intervalListener(spec.label());
        this.timeline = new RequestTimeline(intendedNanos, intervals);
        this.onEnd = onEnd;
        this.chainStartNanos = intendedNanos;
    }

    /** The tokens of the chain up to and including this call: input and output. */
    long chainTokens() {
        long in = Math.max(0, timeline.usage().inputTokens());
        if (in == 0 && spec.promptTokens() > 0) {
            in = spec.promptTokens();
        }
        return chainTokensBefore + in + timeline.outputTokens();
    }

    boolean ended() {
        return outcome != null;
    }

    /** Ends the request once: stops its timers, closes its timeline, records it and tells the owner. */
    void end(long nanos, RequestOutcome o) {
        if (outcome != null) {
            return;
        }
        outcome = o;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (abortTimer != null) {
            abortTimer.cancel(false);
        }
        if (decoder != null) {
            decoder.end(nanos);
        }
        timeline.end(nanos, coreOutcome(o));
        recorder.finished(timeline, sentNanos < 0 ? nanos : sentNanos, o, spec.label());
        onEnd.accept(this, o);
    }

    private static io.tokentap.core.stream.Outcome coreOutcome(RequestOutcome o) {
        return switch (o) {
            case OK -> io.tokentap.core.stream.Outcome.OK;
            case RATE_LIMITED -> io.tokentap.core.stream.Outcome.UPSTREAM_429;
            case OVERLOADED, SERVER_ERROR -> io.tokentap.core.stream.Outcome.UPSTREAM_5XX;
            case CLIENT_ERROR -> io.tokentap.core.stream.Outcome.UPSTREAM_4XX;
            case TIMEOUT -> io.tokentap.core.stream.Outcome.TIMEOUT;
            case CONNECTION_ERROR -> io.tokentap.core.stream.Outcome.UPSTREAM_RESET;
            case CLIENT_CANCEL, DROPPED -> io.tokentap.core.stream.Outcome.CLIENT_CANCEL;
        };
    }
}
