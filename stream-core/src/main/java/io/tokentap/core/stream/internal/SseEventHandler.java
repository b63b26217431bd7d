package io.tokentap.core.stream.internal;

/** Interprets one dispatched server-sent event of a given API. */
interface SseEventHandler {

    /** The event type names this API uses; {@link #onEvent}'s {@code eventType} indexes into it. */
    EventTypes eventTypes();

    /**
     * One event.
     *
     * @param eventType the {@code event:} name's index in {@link #eventTypes()}, {@link EventTypes#NONE} when the
     *                  event had no name, or {@link EventTypes#OTHER}
     * @param data      the event's data (multi-line data joined with LF) in {@code data[0, len)}
     * @return false if the data could not be parsed (the decoder counts it as malformed)
     */
    boolean onEvent(int eventType, byte[] data, int len, long nanos);
}
