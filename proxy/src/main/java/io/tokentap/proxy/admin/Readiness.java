package io.tokentap.proxy.admin;

/**
 * The answer of a {@link ReadinessCheck}.
 *
 * @param ready  whether traffic may be sent to this proxy
 * @param reason why not, or {@code "ok"}
 */
public record Readiness(boolean ready, String reason) {

    public static final Readiness READY = new Readiness(true, "ok");

    public static Readiness notReady(String reason) {
        return new Readiness(false, reason);
    }
}
