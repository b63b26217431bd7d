package io.tokentap.loadgen.analysis.results;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Objects;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latencies held in an HdrHistogram whose integer values are in a known unit (e.g. microseconds). Values are
 * reported as the middle of their bucket ({@code medianEquivalentValue}), converted to seconds.
 */
public final class HistogramLatencySamples implements LatencySamples {

    private final Histogram histogram;
    private final double secondsPerUnit;

    /** Wraps a copy of {@code histogram}; {@code secondsPerUnit} is e.g. 1e-6 for microseconds. */
    public HistogramLatencySamples(Histogram histogram, double secondsPerUnit) {
        this.histogram = Objects.requireNonNull(histogram, "histogram").copy();
        if (!(secondsPerUnit > 0)) {
            throw new IllegalArgumentException("secondsPerUnit: " + secondsPerUnit + " (expected: > 0)");
        }
        this.secondsPerUnit = secondsPerUnit;
    }

    /** Decodes HdrHistogram's compressed V2 encoding, base64 as in its log format. */
    public static HistogramLatencySamples decode(String base64Compressed, double secondsPerUnit)
            throws DataFormatException {
        byte[] bytes = Base64.getDecoder().decode(base64Compressed.trim());
        Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
        return new HistogramLatencySamples(h, secondsPerUnit);
    }

    /** The compressed V2 encoding, base64: the inverse of {@link #decode}. */
    public static String encode(Histogram histogram) {
        ByteBuffer buf = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int n = histogram.encodeIntoCompressedByteBuffer(buf);
        byte[] bytes = new byte[n];
        buf.flip();
        buf.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** This histogram's compressed V2 encoding, base64. */
    public String encodeBase64() {
        return encode(histogram);
    }

    public double secondsPerUnit() {
        return secondsPerUnit;
    }

    @Override
    public long count() {
        return histogram.getTotalCount();
    }

    @Override
    public double percentile(double percentile) {
        return count() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) * secondsPerUnit;
    }

    @Override
    public double mean() {
        return count() == 0 ? Double.NaN : histogram.getMean() * secondsPerUnit;
    }

    @Override
    public double[] values(int maxValues) {
        long total = count();
        if (total <= maxValues) {
            double[] out = new double[(int) total];
            int i = 0;
            for (HistogramIterationValue v : histogram.recordedValues()) {
                double seconds = histogram.medianEquivalentValue(v.getValueIteratedTo()) * secondsPerUnit;
                for (long k = 0; k < v.getCountAtValueIteratedTo(); k++) {
                    out[i++] = seconds;
                }
            }
            return out;
        }
        // Evenly spaced quantiles: the j-th output is the value holding rank (j + 0.5) / maxValues × total.
        double[] out = new double[maxValues];
        int j = 0;
        long cumulative = 0;
        for (HistogramIterationValue v : histogram.recordedValues()) {
            cumulative += v.getCountAtValueIteratedTo();
            double seconds = histogram.medianEquivalentValue(v.getValueIteratedTo()) * secondsPerUnit;
            while (j < maxValues && (j + 0.5) / maxValues * total < cumulative) {
                out[j++] = seconds;
            }
        }
        while (j < maxValues) {
            out[j++] = histogram.getMaxValue() * secondsPerUnit;
        }
        return out;
    }

    @Override
    public LatencySamples merge(LatencySamples other) {
        if (other instanceof HistogramLatencySamples h && h.secondsPerUnit == secondsPerUnit) {
            // Histograms add exactly; never average percentiles.
            Histogram sum = histogram.copy();
            sum.setAutoResize(true);
            sum.add(h.histogram);
            return new HistogramLatencySamples(sum, secondsPerUnit);
        }
        double[] mine = values(Integer.MAX_VALUE - 8);
        return new ArrayLatencySamples(mine).merge(other);
    }
}
