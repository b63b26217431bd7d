package io.tokentap.loadgen.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** Renders a {@link Comparison} as markdown (for a CI comment) or JSON (for machines). */
public final class ComparisonFormatter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ComparisonFormatter() {}

    public static String markdown(Comparison c) {
        return markdown(c, List.of());
    }

    /** Markdown with a table of per-stage comparisons (informational) after the verdict. */
    public static String markdown(Comparison c, List<Comparison> perStage) {
        StringBuilder b = new StringBuilder();
        boolean regression = c.verdict() == Comparison.Verdict.REGRESSION;
        b.append("## tokentap compare: ").append(regression ? "❌ REGRESSION" : "✅ PASS").append("\n\n");
        b.append(fmt("Gated on **%s**: %s by %s (threshold %s%%), p = %s (alpha %s).%n%n",
                c.metric().id(), direction(c.gated()), pct(Math.abs(c.gated().percent())),
                num(c.thresholdPercent()), pval(c.p()), num(c.alpha())));
        b.append("| figure | baseline | candidate | change |\n|---|---:|---:|---:|\n");
        for (Change ch : c.changes()) {
            b.append(fmt("| %s%s | %s | %s | %s |%n", ch.name(), ch.name().equals(c.metric().id()) ? " (gated)" : "",
                    value(ch.baseline(), ch.unit()), value(ch.candidate(), ch.unit()), signedPct(ch.percent())));
        }
        b.append('\n');
        b.append("| test (on log latency) | result |\n|---|---:|\n");
        b.append(fmt("| Welch's t-test p | %s |%n", pval(c.welchP())));
        b.append(fmt("| Mann-Whitney U p | %s |%n", pval(c.mannWhitneyP())));
        b.append(fmt("| Cohen's d | %s |%n", num(c.cohensD())));
        b.append(fmt("| values (baseline / candidate) | %d / %d |%n", c.baselineCount(), c.candidateCount()));
        b.append('\n').append("Stages: ").append(c.stages()).append('\n');
        if (!perStage.isEmpty()) {
            b.append("\n### Per stage (for information; the verdict above is the gate)\n\n");
            b.append(fmt("| stage | baseline %1$s | candidate %1$s | change | p | significant and over threshold |%n",
                    c.metric().id()));
            b.append("|---|---:|---:|---:|---:|---|\n");
            for (Comparison s : perStage) {
                b.append(fmt("| %s | %s | %s | %s | %s | %s |%n", s.stages().replace("|", "\\|"),
                        value(s.gated().baseline(), "s"), value(s.gated().candidate(), "s"),
                        signedPct(s.gated().percent()), pval(s.p()),
                        s.verdict() == Comparison.Verdict.REGRESSION ? "yes" : "no"));
            }
        }
        return b.toString();
    }

    public static String json(Comparison c) {
        return json(c, List.of());
    }

    /** JSON with a {@code perStage} array when per-stage comparisons are given. */
    public static String json(Comparison c, List<Comparison> perStage) {
        ObjectNode root = JSON.createObjectNode();
        root.put("verdict", c.verdict().name());
        root.put("metric", c.metric().id());
        root.put("thresholdPercent", c.thresholdPercent());
        root.put("alpha", c.alpha());
        putNumber(root, "p", c.p());
        putNumber(root, "welchP", c.welchP());
        putNumber(root, "mannWhitneyP", c.mannWhitneyP());
        putNumber(root, "cohensD", c.cohensD());
        putNumber(root, "gatedChangePercent", c.gated().percent());
        root.put("baselineCount", c.baselineCount());
        root.put("candidateCount", c.candidateCount());
        root.put("stages", c.stages());
        ArrayNode arr = root.putArray("changes");
        for (Change ch : c.changes()) {
            ObjectNode n = arr.addObject();
            n.put("name", ch.name());
            n.put("unit", ch.unit());
            putNumber(n, "baseline", ch.baseline());
            putNumber(n, "candidate", ch.candidate());
            putNumber(n, "percent", ch.percent());
        }
        if (!perStage.isEmpty()) {
            ArrayNode stages = root.putArray("perStage");
            for (Comparison s : perStage) {
                ObjectNode n = stages.addObject();
                n.put("stage", s.stages());
                putNumber(n, "baseline", s.gated().baseline());
                putNumber(n, "candidate", s.gated().candidate());
                putNumber(n, "percent", s.gated().percent());
                putNumber(n, "p", s.p());
                n.put("regression", s.verdict() == Comparison.Verdict.REGRESSION);
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** NaN and infinities are not JSON numbers: write null. */
    private static void putNumber(ObjectNode n, String field, double v) {
        if (Double.isFinite(v)) {
            n.put(field, v);
        } else {
            n.putNull(field);
        }
    }

    private static String direction(Change ch) {
        if (Double.isNaN(ch.percent()) || ch.percent() == 0) {
            return "unchanged";
        }
        return ch.worsePercent() > 0 ? "worse" : "better";
    }

    private static String value(double v, String unit) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return "s".equals(unit) ? fmt("%.1f ms", 1000 * v) : fmt("%.1f %s", v, unit);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : fmt("%.1f%%", v);
    }

    private static String signedPct(double v) {
        return Double.isNaN(v) ? "n/a" : fmt("%+.1f%%", v);
    }

    private static String pval(double p) {
        if (Double.isNaN(p)) {
            return "n/a";
        }
        return p < 1e-4 ? fmt("%.2e", p) : fmt("%.4f", p);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "n/a" : fmt("%.3g", v);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
