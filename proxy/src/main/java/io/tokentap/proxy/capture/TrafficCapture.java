package io.tokentap.proxy.capture;

/**
 * What the relay tells the capture: whether to record a request that just arrived, and the finished request. Called
 * on event loops; an implementation never blocks and never throws, so traffic never waits for capture.
 */
public interface TrafficCapture {

    /** Capture off: nothing is sampled. */
    TrafficCapture NONE = new TrafficCapture() {
        @Override
        public boolean sample() {
            return false;
        }

        @Override
        public int maxBodyBytes() {
            return 0;
        }

        @Override
        public long nowMicros() {
            return 0;
        }

        @Override
        public void record(CapturedExchange e) {
        }
    };

    /** The sampling decision for a request that just arrived; always false when capture is off. */
    boolean sample();

    /** The largest request body to keep for a sampled request; 0 when bodies are not recorded. */
    int maxBodyBytes();

    /** Wall-clock time in microseconds since the epoch, for the record's {@code arrival_us}. */
    long nowMicros();

    /** A sampled request has finished. Never blocks: a record that does not fit the queue is dropped and counted. */
    void record(CapturedExchange e);
}
