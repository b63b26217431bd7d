package io.tokentap.proxy.config;

/**
 * How bytes move through the relay. The water marks and the read size bound what the proxy holds for one stream
 * whose client reads slowly: at most {@code writeBufferHighBytes} queued for the client plus one upstream read.
 *
 * @param writeBufferLowBytes  a paused peer resumes reading when the queued bytes fall below this
 * @param writeBufferHighBytes the peer stops reading when the queued bytes rise above this
 * @param readBufferBytes      the largest single read from an upstream connection
 * @param modelPeekBytes       how far into a request body to look for its JSON {@code "model"}; the body is
 *                             forwarded as it arrives either way
 * @param tapMaxBytes          the longest SSE or NDJSON line, or the largest non-streaming JSON body, that the timing
 *                             tap decodes (what is longer is relayed untouched and only counted as malformed), which
 *                             bounds the tap's memory per stream
 * @param preserveHost         send the client's Host header upstream instead of the upstream's authority
 */
public record RelayConfig(int writeBufferLowBytes, int writeBufferHighBytes, int readBufferBytes,
                          int modelPeekBytes, int tapMaxBytes, boolean preserveHost) {

    public RelayConfig {
        if (writeBufferLowBytes <= 0) {
            throw new IllegalArgumentException("writeBufferLowBytes: " + writeBufferLowBytes + " (expected: > 0)");
        }
        if (writeBufferHighBytes < writeBufferLowBytes) {
            throw new IllegalArgumentException("writeBufferHighBytes: " + writeBufferHighBytes
                    + " (expected: >= writeBufferLowBytes, " + writeBufferLowBytes + ")");
        }
        if (readBufferBytes < 64 || readBufferBytes > 1024 * 1024) {
            throw new IllegalArgumentException("readBufferBytes: " + readBufferBytes + " (expected: 64..1048576)");
        }
        if (tapMaxBytes < 1024) {
            throw new IllegalArgumentException("tapMaxBytes: " + tapMaxBytes + " (expected: >= 1024)");
        }
        if (modelPeekBytes < 0) {
            throw new IllegalArgumentException("modelPeekBytes: " + modelPeekBytes + " (expected: >= 0)");
        }
    }

    public static RelayConfig defaults() {
        return new RelayConfig(32 * 1024, 64 * 1024, 16 * 1024, 64 * 1024, 1024 * 1024, false);
    }

    public RelayConfig withWaterMarks(int low, int high) {
        return new RelayConfig(low, high, readBufferBytes, modelPeekBytes, tapMaxBytes, preserveHost);
    }

    public RelayConfig withReadBufferBytes(int n) {
        return new RelayConfig(writeBufferLowBytes, writeBufferHighBytes, n, modelPeekBytes, tapMaxBytes,
                preserveHost);
    }

    static RelayConfig from(ConfigNode n) {
        RelayConfig d = defaults();
        int low = n.bytes("writeBufferLowBytes", d.writeBufferLowBytes);
        int high = n.bytes("writeBufferHighBytes", d.writeBufferHighBytes);
        int read = n.bytes("readBufferBytes", d.readBufferBytes);
        int peek = n.bytes("modelPeekBytes", d.modelPeekBytes);
        int tap = n.bytes("tapMaxBytes", d.tapMaxBytes);
        boolean host = n.bool("preserveHost", d.preserveHost);
        return n.build(() -> new RelayConfig(low, high, read, peek, tap, host));
    }
}
