package io.tokentap.core.stream.internal;

/** Interprets one line of a newline-delimited JSON stream. */
interface LineHandler {

    /** @return false if the line could not be parsed (the decoder counts it as malformed) */
    boolean onLine(byte[] line, int len, long nanos);
}
