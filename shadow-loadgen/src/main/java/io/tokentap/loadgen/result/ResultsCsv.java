package io.tokentap.loadgen.result;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes {@code results.csv}: one row per stage and a last row for the run; latencies in milliseconds. */
public final class ResultsCsv {

    private static final LoadMetric[] METRICS = {LoadMetric.TTFT, LoadMetric.SERVICE_TTFT, LoadMetric.ITL,
        LoadMetric.ITL_PER_TOKEN, LoadMetric.TPOT, LoadMetric.E2E, LoadMetric.MAX_STALL, LoadMetric.SCHEDULE_LAG};
    private static final int[] PCTS = {50, 95, 99};

    public void write(RunResult r, Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(String.join(",", header()));
            w.write('\n');
            for (StageStats s : r.stages()) {
                w.write(String.join(",", row(s)));
                w.write('\n');
            }
            w.write(String.join(",", row(r.total())));
            w.write('\n');
        }
    }

    static List<String> header() {
        List<String> h = new ArrayList<>(List.of("stage", "type", "load", "duration_s", "client_bound", "requests",
                "requests_per_s", "output_tokens_per_s", "input_tokens", "output_tokens"));
        for (LoadMetric m : METRICS) {
            for (int p : PCTS) {
                h.add(m.key() + "_p" + p + "_ms");
            }
        }
        h.add("ttft_p99_p50");
        for (RequestOutcome o : RequestOutcome.values()) {
            h.add(o.key() + "_pct");
        }
        h.add("error_pct");
        h.add("goodput_per_s");
        h.add("goodput_pct");
        return h;
    }

    static List<String> row(StageStats s) {
        List<String> r = new ArrayList<>(List.of(s.name(), s.type(), s.load(), num(s.durationSeconds()),
                Boolean.toString(s.clientBound()), Long.toString(s.requests()), num(s.requestsPerSecond()),
                num(s.outputTokensPerSecond()), Long.toString(s.inputTokens()), Long.toString(s.outputTokens())));
        for (LoadMetric m : METRICS) {
            for (int p : PCTS) {
                r.add(num(s.millis(m, p)));
            }
        }
        r.add(num(s.tailRatio(LoadMetric.TTFT)));
        for (RequestOutcome o : RequestOutcome.values()) {
            r.add(num(s.percent(o)));
        }
        r.add(num(s.errorPercent()));
        r.add(num(s.goodputPerSecond()));
        r.add(num(s.goodputPercent()));
        return r.stream().map(ResultsCsv::quote).toList();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String quote(String v) {
        return v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }
}
