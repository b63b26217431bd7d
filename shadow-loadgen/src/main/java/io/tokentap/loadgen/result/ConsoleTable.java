package io.tokentap.loadgen.result;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console summary: one line per stage and a total line. Latencies in ms; error shares in per cent by class
 * (429 rate-limited, 503/529 overloaded, other 5xx, other 4xx, timeouts, connection errors and drops, client cancels); p99/p50 is TTFT's
 * tail ratio; goodput is the per cent of requests that met every SLO. A stage where the client was the bottleneck
 * carries {@code CLIENT-BOUND} and the reason below the table.
 */
public final class ConsoleTable {

    private static final String[] HEAD = {"stage", "load", "req/s", "tok/s", "ttft p50", "p95", "p99", "itl p50",
        "p99", "tpot p50", "e2e p50", "p99", "err%", "429%", "ovl%", "5xx%", "4xx%", "tmo%", "conn%", "cxl%", "p99/p50",
        "goodput%", ""};

    public String render(RunResult r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEAD);
        for (StageStats s : r.stages()) {
            rows.add(row(s));
        }
        if (r.stages().size() > 1) {
            rows.add(row(r.total()));
        }
        int[] width = new int[HEAD.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String cell = row[i];
                String pad = " ".repeat(width[i] - cell.length());
                line.append(i < 2 || i == row.length - 1 ? cell + pad : pad + cell);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        for (StageStats s : r.stages()) {
            if (s.clientBound()) {
                sb.append("CLIENT-BOUND ").append(s.name()).append(": ").append(s.clientBoundReason())
                        .append(" (the numbers of this stage describe the load generator, not the server)\n");
            }
        }
        if (r.partial()) {
            sb.append("partial results: ").append(r.stopReason()).append('\n');
        }
        return sb.toString();
    }

    private static String[] row(StageStats s) {
        return new String[] {
            s.name(), s.load(), f1(s.requestsPerSecond()), f1(s.outputTokensPerSecond()),
            ms(s.millis(LoadMetric.TTFT, 50)), ms(s.millis(LoadMetric.TTFT, 95)), ms(s.millis(LoadMetric.TTFT, 99)),
            ms(s.millis(LoadMetric.ITL, 50)), ms(s.millis(LoadMetric.ITL, 99)), ms(s.millis(LoadMetric.TPOT, 50)),
            ms(s.millis(LoadMetric.E2E, 50)), ms(s.millis(LoadMetric.E2E, 99)),
            f1(s.errorPercent()), f1(s.percent(RequestOutcome.RATE_LIMITED)), f1(s.percent(RequestOutcome.OVERLOADED)),
            f1(s.percent(RequestOutcome.SERVER_ERROR)), f1(s.percent(RequestOutcome.CLIENT_ERROR)),
            f1(s.percent(RequestOutcome.TIMEOUT)),
            f1(s.percent(RequestOutcome.CONNECTION_ERROR) + s.percent(RequestOutcome.DROPPED)),
            f1(s.percent(RequestOutcome.CLIENT_CANCEL)), f2(s.tailRatio(LoadMetric.TTFT)), f1(s.goodputPercent()),
            s.clientBound() ? "CLIENT-BOUND" : ""
        };
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }
}
