package io.tokentap.proxy.relay;

import io.tokentap.core.timeline.RequestTimeline;

/** Receives every finished request, for the opt-in per-request log. Called on an event loop: must not block long. */
@FunctionalInterface
public interface RequestLog {

    RequestLog NONE = (method, route, model, format, timeline, bytesOut) -> { };

    void finished(String method, String route, String model, String format, RequestTimeline timeline, long bytesOut);
}
