package io.tokentap.loadgen.workload;

import io.tokentap.loadgen.config.YamlNode;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * A distribution of token lengths, clamped to {@code [min, max]}. Written in YAML as a number (fixed) or a mapping:
 * {@code {dist: uniform, min: 50, max: 300}}, {@code {dist: normal, mean: 800, stddev: 200}},
 * {@code {dist: lognormal, median: 200, sigma: 0.6}}, {@code {dist: exponential, mean: 300}}.
 */
public interface LengthDistribution {

    int sample(RandomGenerator rng);

    /** The mean, for descriptions. */
    double mean();

    static LengthDistribution fixed(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("length: " + n + " (expected: >= 0)");
        }
        return new LengthDistribution() {
            @Override
            public int sample(RandomGenerator rng) {
                return n;
            }

            @Override
            public double mean() {
                return n;
            }
        };
    }

    /** Reads a distribution from YAML. */
    static LengthDistribution parse(YamlNode n) {
        if (n.isScalar()) {
            long v = n.asLong();
            if (v < 0) {
                throw n.error(v + " (expected: >= 0)");
            }
            return fixed((int) v);
        }
        String dist = n.child("dist").asChoice("fixed", "uniform", "normal", "lognormal", "exponential");
        int min = (int) n.whole("min", 1);
        int max = (int) n.whole("max", 1_000_000);
        if (min < 0 || max < min) {
            throw n.error("min " + min + ", max " + max + " (expected: 0 <= min <= max)");
        }
        return switch (dist) {
            case "fixed" -> {
                n.allowOnly("dist", "value");
                yield fixed((int) n.child("value").asLong());
            }
            case "uniform" -> {
                n.allowOnly("dist", "min", "max");
                n.child("max");
                yield clamp(r -> min + r.nextInt(max - min + 1), (min + max) / 2.0, min, max);
            }
            case "normal" -> {
                n.allowOnly("dist", "mean", "stddev", "min", "max");
                double mean = n.child("mean").asDouble();
                double sd = n.child("stddev").asDouble();
                yield clamp(r -> (int) Math.round(mean + sd * r.nextGaussian()), mean, min, max);
            }
            case "lognormal" -> {
                n.allowOnly("dist", "median", "sigma", "min", "max");
                double median = n.child("median").asDouble();
                double sigma = n.child("sigma").asDouble();
                if (!(median > 0) || !(sigma >= 0)) {
                    throw n.error("median " + median + ", sigma " + sigma + " (expected: median > 0, sigma >= 0)");
                }
                double mu = Math.log(median);
                yield clamp(r -> (int) Math.round(Math.exp(mu + sigma * r.nextGaussian())),
                        Math.exp(mu + sigma * sigma / 2), min, max);
            }
            default -> {
                n.allowOnly("dist", "mean", "min", "max");
                double mean = n.child("mean").asDouble();
                yield clamp(r -> (int) Math.round(-mean * Math.log(1 - r.nextDouble())), mean, min, max);
            }
        };
    }

    private static LengthDistribution clamp(java.util.function.ToIntFunction<RandomGenerator> f, double mean, int min,
                                            int max) {
        return new LengthDistribution() {
            @Override
            public int sample(RandomGenerator rng) {
                return Math.max(min, Math.min(max, f.applyAsInt(rng)));
            }

            @Override
            public double mean() {
                return mean;
            }
        };
    }
}
