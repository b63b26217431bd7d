package io.tokentap.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.analysis.Recommender;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import io.tokentap.loadgen.analysis.results.ArrayLatencySamples;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HtmlReportTest {

    static String render(ResultFile file, OptionalDouble targetRps) {
        SweepAnalysis analysis = Recommender.defaults().analyze(file.levels(), file.mode(), targetRps);
        return new HtmlReport(file.kind(), file.stages(), analysis, KneeCriteria.defaults()).render();
    }

    @Test
    void theReportShowsTheBreakingPointOnEveryChartAndTheRecommendations() {
        String html = render(SyntheticSweep.result(), OptionalDouble.of(40));

        assertThat(html).contains("Breaking point at 48 concurrency: KV cache saturated",
                "Throughput S-curve: output tokens/s", "TTFT hockey stick", "ITL hockey stick", "KV-cache usage",
                "Server queue depth", "Last good level: 32 concurrency.");
        assertThat(count(html, "<svg ")).isEqualTo(6);
        assertThat(count(html, "class=\"marker\"")).isEqualTo(6);
        assertThat(html).contains("breaking point: KV cache saturated");
        // Per-stage table: one row per level, the breaking one and the client-bound one marked.
        assertThat(count(html, "<tr")).isEqualTo(1 + 10 + 1 + 5);
        assertThat(html).contains("<tr class=\"breaking\"><td>c=48 ← breaking point</td>",
                "<tr class=\"client-bound\"><td>c=256 (client-bound)</td>", "td class=\"tier breach\"");
        // Recommendations: 70-80% of 48, the proxy snippet, alerts, Little's law.
        assertThat(html).contains("Run at 33–38 concurrency", "limits:\n  perTenant: true\n  requestsPerMinute: 624\n",
                "maxStreamsInFlight: 38", "the keys must match the proxy config",
                "Alert thresholds", "Capacity (Little's law)", "instance(s)");
    }

    @Test
    void theReportIsSelfContained() {
        String html = render(SyntheticSweep.result(), OptionalDouble.empty());
        assertThat(html).doesNotContain("<script", "<link", "src=", "href=", "@import", "url(");
        Matcher m = Pattern.compile("https?://[^\"'\\s<]*").matcher(html);
        while (m.find()) {
            assertThat(m.group()).isEqualTo("http://www.w3.org/2000/svg"); // a namespace name, never fetched
        }
    }

    @Test
    void aSweepWithoutBreakingPointSaysSoAndMarksNothing() {
        List<StageResult> stages = List.of(stage("a", 1, 10), stage("b", 2, 20), stage("c", 4, 40));
        String html = render(new ResultFile("sweep", LoadMode.CONCURRENCY, stages), OptionalDouble.empty());
        assertThat(html).contains("No breaking point up to the max level (4)",
                "highest level measured (no breaking point was reached", "not reported by this run");
        assertThat(html).doesNotContain("class=\"marker\"");
    }

    @Test
    void stageNamesAreEscaped() {
        List<StageResult> stages = List.of(stage("<img src=x onerror=alert(1)>", 1, 10));
        String html = render(new ResultFile("run", LoadMode.RATE, stages), OptionalDouble.empty());
        assertThat(html).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img");
    }

    private static StageResult stage(String name, double load, double tokensPerSec) {
        return new StageResult(name, load, false, 10, 100, 0, tokensPerSec, load, Double.NaN, Double.NaN,
                new ArrayLatencySamples(new double[] {0.1, 0.12, 0.15}), Optional.empty(), Optional.empty());
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
