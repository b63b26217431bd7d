package io.tokentap.sim.profile;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * When a request stops by itself (an end-of-sequence token), before {@code max_tokens}. The sampled length is
 * clamped to [min, max]; the request ends at the smaller of it, {@code max_tokens} and the context window.
 *
 * @param distribution how the natural length is drawn
 * @param mean mean natural length, tokens (the only length for {@code fixed})
 * @param min shortest natural length
 * @param max longest natural length
 * @param sigma log-space standard deviation, for {@code lognormal}
 */
public record OutputSpec(Distribution distribution, double mean, int min, int max, double sigma) {

    /** Natural output-length distributions. */
    public enum Distribution {
        /** Always {@code mean}: a benchmark with {@code ignore_eos}. */
        FIXED,
        /** Uniform on [min, max]. */
        UNIFORM,
        /** Exponential with the given mean (a constant stop probability per token). */
        EXPONENTIAL,
        /** Log-normal with the given mean and sigma: chat-like, long tail. */
        LOGNORMAL;

        static Distribution parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ProfileException("output.distribution",
                        "'" + s + "' (expected: fixed, uniform, exponential or lognormal)");
            }
        }
    }

    public OutputSpec {
        if (distribution == null) {
            throw new ProfileException("output.distribution", "missing (expected: fixed, uniform, exponential or lognormal)");
        }
        Checks.positive("output.mean", mean);
        Checks.positive("output.min", min);
        if (max < min) {
            throw new ProfileException("output.max", max + " (expected: >= output.min " + min + ")");
        }
        Checks.nonNegative("output.sigma", sigma);
    }

    /** One natural output length. */
    public int sample(RandomGenerator random) {
        double v;
        switch (distribution) {
            case FIXED -> v = mean;
            case UNIFORM -> v = min + random.nextDouble() * (max - min + 1);
            case EXPONENTIAL -> v = -mean * Math.log(1 - random.nextDouble());
            case LOGNORMAL -> {
                double mu = Math.log(mean) - sigma * sigma / 2;
                v = Math.exp(mu + sigma * random.nextGaussian());
            }
            default -> throw new IllegalStateException(distribution.toString());
        }
        long n = Math.round(v);
        return (int) Math.max(min, Math.min(max, n));
    }
}
