package io.tokentap.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LineChartTest {

    @Test
    void allTextIsEscaped() {
        String svg = new LineChart("<b>title</b> & \"x\"", "load <x>", "y's")
                .series("<script>alert(1)</script>", "#123456\"/><script>", new double[] {1, 2}, new double[] {1, 2})
                .marker(2, "knee <here>")
                .limit(1.5, "sla & limit")
                .toSvg();

        assertThat(svg).doesNotContain("<script", "<b>", "\"/>\"")
                .contains("&lt;b&gt;title&lt;/b&gt; &amp; &quot;x&quot;", "load &lt;x&gt;", "y&#39;s",
                        "&lt;script&gt;alert(1)&lt;/script&gt;", "knee &lt;here&gt;", "sla &amp; limit");
    }

    @Test
    void sweepLevelsGetALogAxisAndUnknownPointsAreLeftOut() {
        String svg = new LineChart("t", "concurrency", "y")
                .series("s", "#000000", new double[] {1, 2, 4, 8, 16}, new double[] {1, Double.NaN, 3, 4, 5})
                .toSvg();
        assertThat(svg).contains("concurrency (log scale)");
        assertThat(svg.split("<circle", -1)).hasSize(5); // 4 points drawn
        assertThat(svg).doesNotContain("NaN");
    }

    @Test
    void hollowPointsAreMarked() {
        String svg = new LineChart("t", "c", "y")
                .series("s", "#123456", new double[] {1, 2}, new double[] {1, 2})
                .hollow(new boolean[] {false, true})
                .toSvg();
        assertThat(svg).contains("fill=\"#123456\" stroke=\"#123456\"", "fill=\"#ffffff\" stroke=\"#123456\"",
                "s: 2 at 2 (client-bound)");
    }

    @Test
    void aChartWithNothingToDrawSaysSo() {
        LineChart chart = new LineChart("KV", "concurrency", "%")
                .series("kv", "#000000", new double[] {1, 2}, new double[] {Double.NaN, Double.NaN});
        assertThat(chart.hasData()).isFalse();
        assertThat(chart.toSvg()).contains("not reported by this run").doesNotContain("<polyline");
    }

    @Test
    void niceCeilingRoundsUpToOneTwoOrFive() {
        assertThat(LineChart.niceCeiling(0)).isEqualTo(1);
        assertThat(LineChart.niceCeiling(1920)).isEqualTo(2000);
        assertThat(LineChart.niceCeiling(2100)).isEqualTo(2500);
        assertThat(LineChart.niceCeiling(0.042)).isCloseTo(0.05, org.assertj.core.api.Assertions.within(1e-12));
    }
}
