package io.tokentap.proxy.protect.retry;

/**
 * Whether to retry a failed attempt, and after how long. The relay schedules the next attempt with
 * {@code eventLoop.schedule(..., delayNanos, NANOSECONDS)}; nothing ever sleeps.
 *
 * @param delayNanos the delay before the next attempt, when {@link #retry()}
 * @param giveUp     why not, when not {@link #retry()}
 */
public record RetryDecision(boolean retry, long delayNanos, GiveUp giveUp) {

    /** Why a failed attempt is not retried. The label is bounded. */
    public enum GiveUp {
        NONE("none"),
        /** The failure is not a retry trigger (e.g. a 400 or a 500). */
        NOT_A_TRIGGER("not_a_trigger"),
        /** Part of the response already reached the client. */
        RESPONSE_STARTED("response_started"),
        /** The route is marked not retryable. */
        ROUTE_NOT_RETRYABLE("route_not_retryable"),
        /** All retries are spent. */
        ATTEMPTS("attempts"),
        /** The next attempt would start after the total budget. */
        BUDGET("budget");

        private final String label;

        GiveUp(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    static RetryDecision after(long delayNanos) {
        return new RetryDecision(true, delayNanos, GiveUp.NONE);
    }

    static RetryDecision no(GiveUp why) {
        return new RetryDecision(false, 0, why);
    }
}
