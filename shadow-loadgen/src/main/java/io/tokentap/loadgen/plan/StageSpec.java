package io.tokentap.loadgen.plan;

import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.schedule.LoadProfile;
import java.time.Duration;
import java.util.Objects;

/**
 * One stage of a plan: its name, its type (ramp, sustained, burst, soak, replay), the load model, and the load over
 * time (requests per second when open, streams when closed). Each stage gets results of its own.
 *
 * @param gammaShape the shape of gamma inter-arrivals (CV = 1/√shape); ignored by other processes
 * @param speedup    the replay speed-up; 1 for other models
 */
public record StageSpec(String name, String type, LoadModel model, LoadProfile profile, ArrivalProcess arrival,
                        double gammaShape, double speedup) {

    public StageSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(arrival, "arrival");
        if (profile.durationSeconds() <= 0 && model != LoadModel.REPLAY) {
            throw new IllegalArgumentException("stage length: " + profile.duration() + " (expected: > 0)");
        }
        if (arrival == ArrivalProcess.GAMMA && !(gammaShape > 0)) {
            throw new IllegalArgumentException("gamma_shape: " + gammaShape + " (expected: > 0)");
        }
        if (!(speedup > 0)) {
            throw new IllegalArgumentException("speedup: " + speedup + " (expected: > 0)");
        }
        if (model == LoadModel.CLOSED && profile.peak() < 1) {
            throw new IllegalArgumentException("concurrency: " + profile.peak() + " (expected: >= 1)");
        }
        if (model == LoadModel.OPEN && !(profile.peak() > 0)) {
            throw new IllegalArgumentException("rate: " + profile.peak() + " (expected: > 0)");
        }
    }

    public Duration duration() {
        return profile.duration();
    }

    /** A closed stage of {@code streams} concurrent streams for {@code hold}. */
    public static StageSpec closed(String name, int streams, Duration hold) {
        return new StageSpec(name, "sustained", LoadModel.CLOSED, LoadProfile.constant(streams, hold),
                ArrivalProcess.CONSTANT, 1, 1);
    }

    /** An open stage of {@code rate} requests per second for {@code hold}. */
    public static StageSpec open(String name, double rate, ArrivalProcess arrival, Duration hold) {
        return new StageSpec(name, "sustained", LoadModel.OPEN, LoadProfile.constant(rate, hold), arrival, 1, 1);
    }

    /** How the console states this stage's load: "c=32", "r=12.5/s", "replay x2". */
    public String loadLabel() {
        return switch (model) {
            case CLOSED -> profile.peak() == profile.valueAt(0) ? "c=" + fmt(profile.peak())
                    : "c=" + fmt(profile.valueAt(0)) + "→" + fmt(profile.peak());
            case OPEN -> profile.peak() == profile.valueAt(0) ? "r=" + fmt(profile.peak()) + "/s"
                    : "r=" + fmt(profile.valueAt(0)) + "→" + fmt(profile.peak()) + "/s";
            case REPLAY -> "replay x" + fmt(speedup);
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v);
    }
}
