package io.tokentap.loadgen.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * A run's figures over time, read from the load generator's HdrHistogram interval log ({@code intervals.hlog},
 * values in microseconds, one histogram per second per {@code stage.metric} tag): TTFT percentiles and completed
 * requests per second for each interval.
 *
 * @param seconds each interval's start, in seconds from the first interval
 * @param ttftP50Millis TTFT median per interval, ms ({@code NaN} without values)
 * @param ttftP95Millis TTFT p95 per interval, ms
 * @param ttftP99Millis TTFT p99 per interval, ms
 * @param requestsPerSec requests completed per second in each interval
 */
public record Timeline(
        double[] seconds, double[] ttftP50Millis, double[] ttftP95Millis, double[] ttftP99Millis,
        double[] requestsPerSec) {

    private record Interval(double startSec, double lengthSec, Histogram ttft, long completed) {}

    /** Reads an interval log; intervals are matched by start time, tags {@code *.ttft} and {@code *.e2e}. */
    public static Timeline read(Path hlog) throws IOException {
        List<Interval> intervals = new ArrayList<>();
        try (InputStream in = Files.newInputStream(hlog)) {
            HistogramLogReader reader = new HistogramLogReader(in);
            List<EncodableHistogram> ttft = new ArrayList<>();
            List<EncodableHistogram> e2e = new ArrayList<>();
            for (EncodableHistogram h = reader.nextIntervalHistogram(); h != null; h = reader.nextIntervalHistogram()) {
                String tag = h.getTag() == null ? "" : h.getTag();
                if (!(h instanceof Histogram)) {
                    continue;
                }
                if (tag.endsWith(".ttft")) {
                    ttft.add(h);
                } else if (tag.endsWith(".e2e")) {
                    e2e.add(h);
                }
            }
            for (EncodableHistogram t : ttft) {
                // Each metric's recorder stamps its own interval, so the E2E histogram of the same drain starts a
                // little earlier or later: take the nearest one of the same stage within half an interval.
                long halfInterval = Math.max(1, (t.getEndTimeStamp() - t.getStartTimeStamp()) / 2);
                long completed = e2e.stream()
                        .filter(e -> samePrefix(e, t))
                        .filter(e -> Math.abs(e.getStartTimeStamp() - t.getStartTimeStamp()) <= halfInterval)
                        .min(Comparator.comparingLong(e -> Math.abs(e.getStartTimeStamp() - t.getStartTimeStamp())))
                        .map(e -> ((Histogram) e).getTotalCount())
                        .orElse(0L);
                double length = (t.getEndTimeStamp() - t.getStartTimeStamp()) / 1000.0;
                intervals.add(new Interval(t.getStartTimeStamp() / 1000.0, length, (Histogram) t, completed));
            }
        } catch (RuntimeException e) {
            // HdrHistogram's reader signals a malformed line with unchecked exceptions.
            throw new IOException(hlog + ": not an HdrHistogram interval log (" + e + ")", e);
        }
        intervals.sort(Comparator.comparingDouble(Interval::startSec));
        int n = intervals.size();
        double[] t = new double[n];
        double[] p50 = new double[n];
        double[] p95 = new double[n];
        double[] p99 = new double[n];
        double[] rps = new double[n];
        double origin = n == 0 ? 0 : intervals.get(0).startSec();
        for (int i = 0; i < n; i++) {
            Interval in = intervals.get(i);
            t[i] = in.startSec() - origin;
            boolean empty = in.ttft().getTotalCount() == 0;
            p50[i] = empty ? Double.NaN : in.ttft().getValueAtPercentile(50) / 1000.0;
            p95[i] = empty ? Double.NaN : in.ttft().getValueAtPercentile(95) / 1000.0;
            p99[i] = empty ? Double.NaN : in.ttft().getValueAtPercentile(99) / 1000.0;
            rps[i] = in.lengthSec() > 0 ? in.completed() / in.lengthSec() : Double.NaN;
        }
        return new Timeline(t, p50, p95, p99, rps);
    }

    private static boolean samePrefix(EncodableHistogram a, EncodableHistogram b) {
        String ta = a.getTag();
        String tb = b.getTag();
        return ta.substring(0, ta.lastIndexOf('.')).equals(tb.substring(0, tb.lastIndexOf('.')));
    }

    public int size() {
        return seconds.length;
    }
}
