package io.tokentap.proxy.capture;

import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;

/**
 * A finished, sampled request as the relay hands it to the capture writer: the raw request body (or null) and the
 * measured figures. Redaction and serialisation happen on the writer's thread, off the event loop.
 *
 * @param arrivalUs when the request arrived, microseconds since the epoch
 * @param tenant    {@code sha256:} and 16 hex digits, or null; never the key itself
 * @param body      the request body, or null (not kept, or larger than {@code maxBodyBytes})
 */
public record CapturedExchange(long arrivalUs, String route, String model, String tenant, byte[] body,
                               CaptureRecord.Timeline timeline) {

    /** The timeline summary of the capture format (milliseconds; undefined figures left out). */
    public static CaptureRecord.Timeline summary(RequestTimeline t) {
        Usage u = t.usage();
        double itlMean = t.itlMeanNanos();
        return new CaptureRecord.Timeline(
                t.status() > 0 ? t.status() : null,
                t.outcome() == null ? null : t.outcome().label(),
                millis(t.ttftNanos()),
                millis(t.e2eNanos()),
                millis(t.tpotNanos()),
                Double.isNaN(itlMean) ? null : round(itlMean / 1e6),
                millis(t.maxStallNanos()),
                u.inputTokens() == Usage.UNKNOWN ? null : u.inputTokens(),
                t.outputTokens() > 0 || u.hasOutputTokens() ? t.outputTokens() : null,
                u.cachedTokens() == Usage.UNKNOWN ? null : u.cachedTokens());
    }

    private static Double millis(long nanos) {
        return nanos == RequestTimeline.UNDEFINED ? null : round(nanos / 1e6);
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
