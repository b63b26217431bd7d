package io.tokentap.loadgen.analysis.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.LoadMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ResultFileTest {

    @TempDir
    Path dir;

    @Test
    void histogramsRoundTripThroughTheFile() throws Exception {
        Histogram ttft = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            ttft.recordValue(100_000 + 100L * i); // 100.1 .. 200 ms, in micros
        }
        Histogram itl = new Histogram(3);
        itl.recordValueWithCount(20_000, 5000);
        StageResult stage = new StageResult("c=8", 8, false, 20, 1000, 3, 3100, 50, 0.42, Double.NaN,
                new HistogramLatencySamples(ttft, 1e-6), Optional.of(new HistogramLatencySamples(itl, 1e-6)),
                Optional.empty());
        Path file = dir.resolve("results.json");
        Files.writeString(file, new ResultFile("sweep", LoadMode.CONCURRENCY, List.of(stage)).toJson());

        ResultFile read = ResultFile.read(file);

        assertThat(read.kind()).isEqualTo("sweep");
        assertThat(read.mode()).isEqualTo(LoadMode.CONCURRENCY);
        LevelSummary s = read.levels().get(0);
        assertThat(s.load()).isEqualTo(8);
        assertThat(s.ttftP50()).isCloseTo(0.150, within(0.0002));
        assertThat(s.ttftP99()).isCloseTo(0.199, within(0.0002));
        assertThat(s.itlP95()).isCloseTo(0.020, within(0.00002));
        assertThat(s.errorRate()).isCloseTo(0.003, within(1e-12));
        assertThat(s.kvCacheUsage()).isEqualTo(0.42);
        assertThat(s.queueDepth()).isNaN();
        assertThat(s.e2eMean()).isNaN();
        assertThat(read.stages().get(0).itl().orElseThrow().count()).isEqualTo(5000);
    }

    @Test
    void rawSamplesAreReadInSeconds() throws Exception {
        ResultFile f = ResultFile.parse("""
                {"kind":"run","mode":"rate","stages":[{"name":"steady","load":5,
                 "samples":{"ttft":[0.3,0.1,0.2,0.4],"e2e":[1.0,3.0]}}]}""");
        assertThat(f.mode()).isEqualTo(LoadMode.RATE);
        StageResult s = f.stages().get(0);
        assertThat(s.requests()).isEqualTo(4);
        assertThat(s.ttft().percentile(50)).isEqualTo(0.2);
        assertThat(s.ttft().percentile(100)).isEqualTo(0.4);
        assertThat(s.toLevelSummary().e2eMean()).isEqualTo(2.0);
        assertThat(s.itl()).isEmpty();
    }

    @Test
    void unusableFilesSayWhatIsWrong() {
        assertThatThrownBy(() -> ResultFile.read(dir.resolve("missing.json")))
                .isInstanceOf(ResultFormatException.class).hasMessageEndingWith("missing.json: no such file");
        assertThatThrownBy(() -> ResultFile.parse("{not json"))
                .hasMessageStartingWith("not valid JSON");
        assertThatThrownBy(() -> ResultFile.parse("{\"stages\":[]}"))
                .hasMessage("stages: missing or empty (expected: a non-empty array)");
        assertThatThrownBy(() -> ResultFile.parse("{\"stages\":[{\"load\":1}]}"))
                .hasMessage("stages[0]: no TTFT values (expected: histograms.ttft or samples.ttft)");
        assertThatThrownBy(() -> ResultFile.parse("{\"stages\":[{\"samples\":{\"ttft\":[1]}}]}"))
                .hasMessage("stages[0].load: missing (expected: a number)");
        assertThatThrownBy(() -> ResultFile.parse(
                "{\"stages\":[{\"load\":1,\"histograms\":{\"ttft\":\"AAAA\"}}]}"))
                .hasMessageStartingWith("stages[0].histograms.ttft: not a base64 compressed HdrHistogram");
        assertThatThrownBy(() -> ResultFile.parse(
                "{\"stages\":[{\"load\":1,\"samples\":{\"ttft\":[-1]}}]}"))
                .hasMessageContaining("stages[0].samples.ttft: sample: -1.0");
        assertThatThrownBy(() -> ResultFile.parse("{\"mode\":\"burst\",\"stages\":[]}"))
                .hasMessage("mode: burst (expected: concurrency or rate)");
    }

    @Test
    void histogramValuesExpandByCountAndThinToQuantiles() {
        Histogram h = new Histogram(3);
        h.recordValueWithCount(1000, 3);
        h.recordValueWithCount(2000, 1);
        HistogramLatencySamples s = new HistogramLatencySamples(h, 1e-6);

        assertThat(s.values(100)).containsExactly(0.001, 0.001, 0.001, 0.002);
        assertThat(s.values(2)).containsExactly(0.001, 0.002);
        assertThat(s.mean()).isCloseTo(0.00125, within(1e-6));

        Histogram big = new Histogram(3);
        for (int i = 1; i <= 100_000; i++) {
            big.recordValue(i);
        }
        double[] thinned = new HistogramLatencySamples(big, 1e-6).values(1000);
        assertThat(thinned).hasSize(1000).isSorted();
        assertThat(thinned[500]).isCloseTo(0.050, within(0.0002));
    }

    @Test
    void mergingHistogramsAddsThem() {
        Histogram a = new Histogram(3);
        a.recordValueWithCount(1000, 10);
        Histogram b = new Histogram(1000, 10_000_000, 3);
        b.recordValueWithCount(9_000_000, 10);
        LatencySamples merged = new HistogramLatencySamples(a, 1e-6).merge(new HistogramLatencySamples(b, 1e-6));
        assertThat(merged.count()).isEqualTo(20);
        assertThat(merged.percentile(50)).isCloseTo(0.001, within(1e-6));
        assertThat(merged.percentile(100)).isCloseTo(9.0, within(0.01));

        LatencySamples mixed = new ArrayLatencySamples(new double[] {0.5}).merge(new HistogramLatencySamples(a, 1e-6));
        assertThat(mixed.count()).isEqualTo(11);
    }
}
