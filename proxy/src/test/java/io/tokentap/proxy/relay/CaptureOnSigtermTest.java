package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.proxy.ProxyMain;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokentap proxy --capture DIR} in a process of its own gets SIGTERM while streams are in flight: the drain
 * lets them finish, and every request it relayed, those finished before the signal and those finished during the
 * drain, is in the capture. Nothing is lost.
 */
@Timeout(120)
class CaptureOnSigtermTest extends RelayTestSupport {

    @TempDir
    Path dir;

    @Test
    void noRecordIsLostOnSigterm() throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, req -> Sse.openAiChat("m",
                List.of("a", " b", " c", " d", " e", " f", " g", " h"), Duration.ofMillis(100)));
        upstream.start();
        Path capture = dir.resolve("capture");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ProxyMain.class.getName(),
                "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--no-scrape", "--upstream", upstream.url(),
                "--capture", capture.toString(), "--capture-redaction", "shape")
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        List<String> output = new ArrayList<>();
        int port;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Pattern listening = Pattern.compile("listening on [0-9.]+:(\\d+)");
            Integer found = null;
            for (String line; found == null && (line = out.readLine()) != null; ) {
                output.add(line);
                Matcher m = listening.matcher(line);
                if (m.find()) {
                    found = Integer.parseInt(m.group(1));
                }
            }
            assertThat(found).as("proxy started: %s", output).isNotNull();
            port = found;
            Thread drainOutput = new Thread(() -> out.lines().forEach(output::add));
            drainOutput.setDaemon(true);
            drainOutput.start();

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // Ten requests that finish before the signal...
            for (int i = 0; i < 10; i++) {
                assertThat(post(http, port, i).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            // ...and twenty streams (0.7 s each) still running when it comes.
            List<CompletableFuture<HttpResponse<String>>> running = new ArrayList<>();
            for (int i = 10; i < 30; i++) {
                running.add(post(http, port, i));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.received.size() == 30);
            long signalled = System.nanoTime();
            p.destroy(); // SIGTERM
            int done = 0;
            for (CompletableFuture<HttpResponse<String>> f : running) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("[DONE]");
                done++;
            }
            assertThat(done).isEqualTo(20);
            long lastResponse = System.nanoTime();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("proxy exited: %s", output).isTrue();
            System.out.printf("SIGTERM: streams finished %.0f ms after it, the proxy exited after %.0f ms%n",
                    (lastResponse - signalled) / 1e6, (System.nanoTime() - signalled) / 1e6);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        ObjectMapper mapper = new ObjectMapper();
        List<CaptureRecord> records = new ArrayList<>();
        try (Stream<Path> files = Files.list(capture)) {
            for (Path f : files.sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    records.add(mapper.readValue(line, CaptureRecord.class));
                }
            }
        }
        assertThat(records).as("records in %s", capture).hasSize(30);
        assertThat(records).allMatch(r -> "ok".equals(r.timeline().outcome()) && r.timeline().outputTokens() == 8);
        System.out.printf("SIGTERM with 20 streams in flight: %d of 30 requests in the capture%n", records.size());
    }

    private static CompletableFuture<HttpResponse<String>> post(HttpClient http, int port, int i) {
        String body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"request " + i
                + "\"}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
