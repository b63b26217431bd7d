package io.tokentap.loadgen.schedule;

import org.apache.commons.math3.random.RandomGenerator;

/**
 * The open model: arrivals at a rate given by a {@link LoadProfile}, independent of how fast responses come back.
 * Gaps are drawn with mean 1 in operational time and mapped to real time through the profile's inverse cumulative
 * load, so a ramp's rate rises linearly and a burst's rate steps up, whatever the arrival process.
 */
public final class OpenSchedule implements Schedule {

    private final LoadProfile profile;
    private final ArrivalProcess.GapSource gaps;
    private double operational;
    private boolean first = true;

    public OpenSchedule(LoadProfile profile, ArrivalProcess process, double gammaShape, RandomGenerator rng) {
        this.profile = profile;
        this.gaps = process.gaps(rng, gammaShape);
        // A constant process starts at t=0; random ones start with a random first gap, like a stationary process.
        this.operational = 0;
        this.first = process == ArrivalProcess.CONSTANT;
    }

    @Override
    public long nextOffsetNanos() {
        if (first) {
            first = false;
            // The first constant arrival sits half a gap in, so N arrivals at rate r fill exactly N / r seconds.
            operational = 0.5;
        } else {
            operational += gaps.next();
        }
        double t = profile.inverse(operational);
        if (Double.isInfinite(t) || t >= profile.durationSeconds()) {
            return END;
        }
        return Math.round(t * 1e9);
    }
}
