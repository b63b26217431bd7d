package io.tokentap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.loadgen.SweepCommand;
import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.KneeFinder;
import io.tokentap.loadgen.analysis.KneeResult;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.sim.http.SimServer;
import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.profile.ProfileLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A sweep against the simulator whose KV cache holds about K requests of the workload at once: the breaking point
 * must be found within a factor of 2 of K, with the criterion that fired named.
 */
class SweepSimulatorTest {

    static final int PROMPT_TOKENS = 200;
    static final int OUTPUT_TOKENS = 100;

    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void theBreakingPointSitsAtTheKvCacheCapacity() throws Exception {
        Profile tiny = new ProfileLoader().load("tiny");
        int block = tiny.engine().blockSize();
        // Each request holds its prompt (plus the chat template's few tokens) and its whole output at the end.
        long blocksPerRequest = (PROMPT_TOKENS + 16 + OUTPUT_TOKENS + block - 1) / block;
        long k = tiny.numGpuBlocks() / blocksPerRequest;
        assertThat(k).as("concurrent requests the KV cache holds").isBetween(8L, 40L);

        Path workload = dir.resolve("w.yaml");
        Files.writeString(workload, "type: synthetic\nclasses: [{name: a, prompt_tokens: " + PROMPT_TOKENS
                + ", output_tokens: " + OUTPUT_TOKENS + "}]\n");
        SimServer sim = SimServer.start(new SimServer.Options(tiny, "127.0.0.1", 0, 1.0, null, false, 1, 1));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path outDir = dir.resolve("out");
        try {
            String url = "http://127.0.0.1:" + sim.port();
            int code = new CommandLine(new SweepCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                    .setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                    .execute("--target", url, "--out", outDir.toString(), "--workload", workload.toString(),
                            "--ignore-eos", "--metrics-url", url + "/metrics", "--max-level", "128", "--hold", "2s",
                            "--warmup", "500ms", "--warmup-max", "5s", "--min-requests", "20",
                            "--max-client-lag", "50ms", "--no-report");
            assertThat(code).as(err.toString()).isZero();
        } finally {
            sim.close();
        }
        KneeResult knee = new KneeFinder(KneeCriteria.defaults()).find(
                ResultFile.read(outDir.resolve("results.json")).levels());
        assertThat(knee.found()).as(out.toString()).isTrue();
        double breaking = knee.breaking().orElseThrow().load();
        System.out.println("KV capacity K=" + k + " requests; sweep:\n" + out);
        assertThat(breaking).as("breaking point vs KV capacity K=" + k + "\n" + out).isBetween(k / 2.0, 2.0 * k);
        assertThat(knee.criterion()).isPresent();
        assertThat(out.toString()).contains("breaking point at load " + (long) breaking + ": "
                + knee.criterion().orElseThrow().label());
    }
}
