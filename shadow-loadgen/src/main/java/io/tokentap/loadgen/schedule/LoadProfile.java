package io.tokentap.loadgen.schedule;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The level of load over a stage's time: requests per second in the open model, concurrent streams in the closed
 * model. A profile is piecewise linear, which covers the plan's building blocks exactly: a constant level, a ramp
 * followed by a hold, and bursts (a step up for part of each period). Two points at the same time make a step.
 *
 * <p>The open model needs the cumulative load {@code Λ(t) = ∫ λ} and its inverse: arrivals are drawn in "operational
 * time" (unit rate) and mapped to real time by {@code Λ⁻¹}, which gives a non-homogeneous process with the profile
 * as its rate, for constant, Poisson and gamma inter-arrivals alike.
 *
 * <pre>{@code
 * LoadProfile ramp = LoadProfile.ramp(1, 100, Duration.ofMinutes(2), Duration.ofSeconds(30));
 * double rateAtOneMinute = ramp.valueAt(60.0);   // 50.5 req/s
 * }</pre>
 */
public final class LoadProfile {

    private final double[] times;
    private final double[] values;
    private final double[] cumulative;

    private LoadProfile(double[] times, double[] values) {
        if (times.length < 2 || times.length != values.length) {
            throw new IllegalArgumentException("a profile needs at least two points");
        }
        for (int i = 0; i < times.length; i++) {
            if (values[i] < 0 || Double.isNaN(values[i])) {
                throw new IllegalArgumentException("load: " + values[i] + " (expected: >= 0)");
            }
            if (i > 0 && times[i] < times[i - 1]) {
                throw new IllegalArgumentException("profile times must not decrease");
            }
        }
        this.times = times;
        this.values = values;
        this.cumulative = new double[times.length];
        for (int i = 1; i < times.length; i++) {
            cumulative[i] = cumulative[i - 1] + (times[i] - times[i - 1]) * (values[i] + values[i - 1]) / 2;
        }
    }

    /** A constant level for {@code duration}. */
    public static LoadProfile constant(double level, Duration duration) {
        double d = seconds(duration);
        return new LoadProfile(new double[] {0, d}, new double[] {level, level});
    }

    /** A linear ramp from {@code from} to {@code to} over {@code over}, then {@code to} held for {@code hold}. */
    public static LoadProfile ramp(double from, double to, Duration over, Duration hold) {
        double o = seconds(over);
        return new LoadProfile(new double[] {0, o, o + seconds(hold)}, new double[] {from, to, to});
    }

    /**
     * {@code base} with a step to {@code base × multiplier} for the last {@code burst} of every {@code period}, for
     * {@code duration}.
     */
    public static LoadProfile burst(double base, double multiplier, Duration period, Duration burst, Duration duration) {
        double p = seconds(period);
        double b = seconds(burst);
        double d = seconds(duration);
        if (p <= 0 || b <= 0 || b > p) {
            throw new IllegalArgumentException("burst: " + burst + " in period " + period + " (expected: 0 < burst <= period)");
        }
        List<double[]> pts = new ArrayList<>();
        for (double start = 0; start < d; start += p) {
            double up = Math.min(start + p - b, d);
            double end = Math.min(start + p, d);
            pts.add(new double[] {start, base});
            pts.add(new double[] {up, base});
            if (up < d) {
                pts.add(new double[] {up, base * multiplier});
                pts.add(new double[] {end, base * multiplier});
            }
        }
        if (pts.size() < 2) {
            pts.add(new double[] {0, base});
            pts.add(new double[] {d, base});
        }
        return new LoadProfile(pts.stream().mapToDouble(x -> x[0]).toArray(), pts.stream().mapToDouble(x -> x[1]).toArray());
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    /** The stage's length in seconds. */
    public double durationSeconds() {
        return times[times.length - 1];
    }

    public Duration duration() {
        return Duration.ofNanos(Math.round(durationSeconds() * 1e9));
    }

    /** The level at {@code t} seconds (the later value at a step); 0 outside the stage. */
    public double valueAt(double t) {
        if (t < 0 || t > durationSeconds()) {
            return 0;
        }
        int i = segment(t);
        double t0 = times[i];
        double t1 = times[i + 1];
        if (t1 == t0) {
            return values[i + 1];
        }
        return values[i] + (values[i + 1] - values[i]) * (t - t0) / (t1 - t0);
    }

    /** Whether the level is the same all through the stage. */
    public boolean isConstant() {
        return Arrays.stream(values).allMatch(v -> v == values[0]);
    }

    /** A constant profile's level for {@code extra} longer (a warm-up before it). */
    public LoadProfile lengthened(Duration extra) {
        if (!isConstant()) {
            throw new IllegalArgumentException("only a constant level can be lengthened");
        }
        return constant(values[0], duration().plus(extra));
    }

    /** The highest level anywhere in the stage. */
    public double peak() {
        return Arrays.stream(values).max().orElse(0);
    }

    /** {@code Λ(t)}: the integral of the level from 0 to {@code t}. */
    public double cumulative(double t) {
        if (t <= 0) {
            return 0;
        }
        if (t >= durationSeconds()) {
            return cumulative[cumulative.length - 1];
        }
        int i = segment(t);
        double dt = t - times[i];
        double v = valueAt(t);
        return cumulative[i] + dt * (values[i] + v) / 2;
    }

    /** The total load of the stage: {@code Λ(duration)}, the expected number of open-model arrivals. */
    public double total() {
        return cumulative[cumulative.length - 1];
    }

    /** {@code Λ⁻¹(u)}: the earliest time where the cumulative load reaches {@code u}, or +∞ past the stage's end. */
    public double inverse(double u) {
        if (u <= 0) {
            return 0;
        }
        if (u > total()) {
            return Double.POSITIVE_INFINITY;
        }
        int lo = 0;
        int hi = cumulative.length - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < u) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // Within segment lo: v(dt) = a + s*dt, area(dt) = a*dt + s*dt²/2 = rem.
        double rem = u - cumulative[lo];
        double dtSeg = times[hi] - times[lo];
        if (dtSeg == 0) {
            return times[lo];
        }
        double a = values[lo];
        double s = (values[hi] - values[lo]) / dtSeg;
        double dt;
        if (Math.abs(s) < 1e-12) {
            dt = a == 0 ? dtSeg : rem / a;
        } else {
            double disc = a * a + 2 * s * rem;
            dt = (-a + Math.sqrt(Math.max(0, disc))) / s;
        }
        return times[lo] + Math.min(Math.max(dt, 0), dtSeg);
    }

    private int segment(double t) {
        int lo = 0;
        int hi = times.length - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (times[mid] <= t) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
