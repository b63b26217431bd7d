package io.tokentap.loadgen.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class WorkloadTest {

    static TokenText text;
    static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    final List<String> warnings = new ArrayList<>();

    @BeforeAll
    static void tokenizer() {
        text = new TokenText();
    }

    private WorkloadLoader loader() {
        return new WorkloadLoader(MAPPER, text, warnings::add);
    }

    private Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static String content(RequestSpec r, int message) {
        return r.body().get("messages").get(message).get("content").asText();
    }

    @Test
    void textHasTheExactTokenLength() {
        for (int n : new int[] {1, 7, 100, 2048}) {
            assertThat(text.count(text.text(n, n))).isEqualTo(n);
        }
        assertThat(text.text(50, 3)).isEqualTo(text.text(50, 3)).isNotEqualTo(text.text(50, 4));
    }

    @Test
    void syntheticClassesFollowTheirWeightsAndLengths() throws Exception {
        Path f = write("chat.yaml", """
                type: synthetic
                model: m1
                seed: 5
                classes:
                  - name: short
                    weight: 8
                    prompt_tokens: {dist: uniform, min: 20, max: 40}
                    output_tokens: 64
                  - name: long
                    weight: 2
                    prompt_tokens: 500
                    output_tokens: {dist: normal, mean: 200, stddev: 10}
                """);
        Workload w = loader().load(f, null, 1);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            RequestSpec r = w.next();
            counts.merge(r.label(), 1, Integer::sum);
            assertThat(r.body().get("model").asText()).isEqualTo("m1");
            if (r.label().equals("short")) {
                assertThat(r.promptTokens()).isBetween(20, 40);
                assertThat(r.maxTokens()).isEqualTo(64);
            } else {
                assertThat(r.promptTokens()).isEqualTo(500);
            }
            if (i < 20) {
                assertThat(text.count(content(r, 0))).isEqualTo(r.promptTokens());
            }
        }
        assertThat(counts.get("short") / 2000.0).isCloseTo(0.8, within(0.03));
    }

    @Test
    void sessionsGrowTheHistoryTurnByTurn() throws Exception {
        Path f = write("s.yaml", """
                type: synthetic
                classes: [{name: chat, prompt_tokens: 30, output_tokens: 10}]
                sessions: {turns: 3, think_time: 2s, follow_up_tokens: 5}
                """);
        RequestSpec first = loader().load(f, null, 1).next();
        assertThat(first.session()).isNotNull();
        RequestSpec second = first.session().nextTurn(first, 12);
        assertThat(second.body().get("messages")).hasSize(3);
        assertThat(second.body().get("messages").get(1).get("role").asText()).isEqualTo("assistant");
        assertThat(text.count(content(second, 1))).isEqualTo(12);
        assertThat(second.promptTokens()).isEqualTo(30 + 12 + 5);
        assertThat(content(second, 0)).isEqualTo(content(first, 0));
        RequestSpec third = second.session().nextTurn(second, 4);
        assertThat(third.body().get("messages")).hasSize(5);
        assertThat(third.session()).isNull();
        double mean = 0;
        for (int i = 0; i < 2000; i++) {
            mean += first.session().thinkTimeNanos() / 2000.0;
        }
        assertThat(mean / 1e9).isCloseTo(2.0, within(0.15));
    }

    @Test
    void pipelineChainsCallsWithToolLatencyAndExtraCalls() throws Exception {
        Path f = write("agent.yaml", """
                type: pipeline
                seed: 3
                nodes:
                  - {name: router, prompt_tokens: 30, output_tokens: 5}
                  - {name: retrieval, tool_latency_ms: 40, outlier_probability: 0.1, outlier_latency: 2s}
                  - {name: generate, prompt_tokens: 50, output_tokens: 10, extra_call_probability: 0.5}
                  - {name: critic, prompt_tokens: 20, output_tokens: 3, probability: 0.5}
                """);
        Workload w = loader().load(f, "m", 1);
        int calls = 0;
        int chains = 2000;
        int outliers = 0;
        for (int i = 0; i < chains; i++) {
            RequestSpec r = w.next();
            assertThat(r.label()).isEqualTo("router");
            calls++;
            boolean first = true;
            while (r.session() != null) {
                RequestSpec.Session s = r.session();
                r = s.nextTurn(r, 5);
                long think = s.thinkTimeNanos();
                if (first) {
                    assertThat(r.label()).isEqualTo("generate");
                    assertThat(think).isIn(40_000_000L, 2_000_000_000L);
                    outliers += think == 2_000_000_000L ? 1 : 0;
                    first = false;
                } else {
                    assertThat(think).isZero();
                }
                calls++;
            }
        }
        // 1 router + 1.5 generate + 0.5 critic per user request.
        assertThat(calls / (double) chains).isCloseTo(3.0, within(0.08));
        assertThat(outliers / (double) chains).isCloseTo(0.1, within(0.025));
        Path only = write("only.yaml", """
                type: pipeline
                only: critic
                nodes:
                  - {name: router, prompt_tokens: 30, output_tokens: 5}
                  - {name: critic, prompt_tokens: 20, output_tokens: 3}
                """);
        RequestSpec alone = loader().load(only, "m", 1).next();
        assertThat(alone.label()).isEqualTo("critic");
        assertThat(alone.session()).isNull();
        assertThatThrownBy(() -> loader().load(write("bad-node.yaml", """
                type: pipeline
                nodes:
                  - {name: x, prompt_tokens: 3, output_tokens: 1, probability: 1.5}
                """), "m", 1)).hasMessageContaining("bad-node.yaml:3: nodes[0].probability: 1.5 (expected: 0..1)");
    }

    @Test
    void badWorkloadFieldIsNamed() throws Exception {
        Path f = write("bad.yaml", """
                type: synthetic
                classes:
                  - name: a
                    prompt_tokens: {dist: gaussian, mean: 3}
                    output_tokens: 1
                """);
        assertThatThrownBy(() -> loader().load(f, null, 1))
                .hasMessageContaining("bad.yaml:4: classes[0].prompt_tokens.dist: 'gaussian' (expected one of");
    }

    @Test
    void mooncakeTraceSharesPrefixesByHashBlock() throws Exception {
        Path f = write("trace.jsonl", """
                {"timestamp": 0, "input_length": 600, "output_length": 10, "hash_ids": [1, 2]}
                {"timestamp": 250, "input_length": 700, "output_length": 20, "hash_ids": [1, 3]}
                {"timestamp": 500, "input_length": oops}
                {"timestamp": 1000, "input_length": 100, "output_length": 5, "hash_ids": [9]}
                """);
        Workload w = loader().load(f, "m", 1);
        assertThat(w.recordedOffsetsNanos()).containsExactly(0L, 250_000_000L, 1_000_000_000L);
        assertThat(warnings).singleElement().asString().startsWith("trace.jsonl:3: skipped:");
        String a = content(w.next(), 0);
        String b = content(w.next(), 0);
        RequestSpec c = w.next();
        assertThat(text.count(a)).isEqualTo(600);
        assertThat(text.count(b)).isEqualTo(700);
        // The first 512-token block (hash id 1) is the same text; the second differs.
        int common = 0;
        while (common < Math.min(a.length(), b.length()) && a.charAt(common) == b.charAt(common)) {
            common++;
        }
        assertThat(text.count(a.substring(0, common))).isBetween(512, 514);
        assertThat(c.maxTokens()).isEqualTo(5);
    }

    @Test
    void captureReplayRebuildsShapesAndReportsBrokenLines() throws Exception {
        Path f = write("cap.jsonl", """
                {"v":1,"arrival_us":1700000000000000,"route":"/v1/chat/completions","model":"m","tenant":"sha256:aa","redaction":"shape","shape":{"messages":[{"role":"system","tokens":520},{"role":"user","tokens":30}],"max_tokens":100,"block_size":512,"hash_ids":[11,12]},"timeline":{"status":200,"outcome":"ok","ttft_ms":80.5,"output_tokens":42}}
                {"v":1,"arrival_us":1700000000500000,"route":"/v1/chat/completions","model":"m","redaction":"shape","shape":{"messages":[{"role":"system","tokens":520},{"role":"user","tokens":60}],"block_size":512,"hash_ids":[11,13]}}
                {"v":1,"arrival_us":1700000000600000,"route":"/v1/chat/completions","redaction":"shape"}
                not json at all
                {"v":1,"arrival_us":1700000001000000,"route":"/v1/chat/completions","model":"m","redaction":"full","request":{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":7}}
                {"v":1,"arrival_us":1700000002000000,"route":"/v1/chat/completions","model":"m","redaction":"none","timeline":{"input_tokens":64,"output_tokens":9}}
                """);
        Workload w = loader().load(f, null, 1);
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).startsWith("cap.jsonl:3: skipped:").contains("shape: missing");
        assertThat(warnings.get(1)).startsWith("cap.jsonl:4: skipped:");
        assertThat(w.recordedOffsetsNanos()).containsExactly(0L, 500_000_000L, 1_000_000_000L, 2_000_000_000L);
        RequestSpec a = w.next();
        RequestSpec b = w.next();
        assertThat(a.tenant()).isEqualTo("sha256:aa");
        assertThat(a.maxTokens()).isEqualTo(42);
        assertThat(a.body().get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(text.count(content(a, 0))).isEqualTo(520);
        assertThat(text.count(content(a, 1))).isEqualTo(30);
        // Same first block (hash 11) → the first 512 tokens of the system prompt agree; the rest differs.
        assertThat(content(a, 0).substring(0, 1000)).isEqualTo(content(b, 0).substring(0, 1000));
        assertThat(content(a, 0)).isNotEqualTo(content(b, 0));
        JsonNode full = w.next().body();
        assertThat(full.get("messages").get(0).get("content").asText()).isEqualTo("hi");
        RequestSpec none = w.next();
        assertThat(text.count(content(none, 0))).isEqualTo(64);
        assertThat(none.maxTokens()).isEqualTo(9);
        assertThat(w.next()).isNull();
    }

    @Test
    void promptFileAndCacheBusting() throws Exception {
        Path f = write("p.jsonl", "{\"prompt\": \"hello there\", \"max_tokens\": 5}\n\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n{\"nope\": 1}\n");
        Workload w = new CacheBusting(loader().load(f, "mm", 1), 77);
        assertThat(warnings).singleElement().asString().startsWith("p.jsonl:4: skipped:");
        String c1 = content(w.next(), 0);
        String c2 = content(w.next(), 0);
        String c3 = content(w.next(), 0);
        assertThat(c1).endsWith("hello there").startsWith("[4d-0] ");
        assertThat(c2).isEqualTo("[4d-1] x");
        assertThat(c3).isEqualTo("[4d-2] hello there");
    }

    private static String capLine(long arrivalUs, int outputTokens) {
        return "{\"v\":1,\"arrival_us\":" + arrivalUs + ",\"route\":\"/v1/chat/completions\",\"model\":\"m\","
                + "\"redaction\":\"none\",\"timeline\":{\"input_tokens\":8,\"output_tokens\":" + outputTokens + "}}\n";
    }

    private static byte[] gzip(String text, boolean finish) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes, true);
        gz.write(text.getBytes(StandardCharsets.UTF_8));
        if (finish) {
            gz.close();
        } else {
            gz.flush(); // as the proxy's open capture file: sync-flushed, no trailer yet
        }
        return bytes.toByteArray();
    }

    @Test
    void aCaptureDirectoryIsItsRotatedFilesInNameOrder() throws Exception {
        Path cap = Files.createDirectory(dir.resolve("capture"));
        long t0 = 1_700_000_000_000_000L;
        // Written out of order on purpose: the listing order of a directory is not the write order, the names are.
        Files.write(cap.resolve("capture-20231114T221420Z-00003.jsonl.gz"),
                gzip(capLine(t0 + 7_200_000_000L, 5) + capLine(t0 + 7_200_500_000L, 6), true));
        Files.writeString(cap.resolve("capture-20231114T221320Z-00002.jsonl"), "");
        Files.writeString(cap.resolve("capture-20231114T221320Z-00001.jsonl"),
                capLine(t0, 1) + capLine(t0 + 1_000_000L, 2) + "{broken\n");
        Files.writeString(cap.resolve("README.txt"), "not a capture");
        Files.createDirectory(cap.resolve("old.jsonl"));

        Workload w = loader().load(cap, null, 1);
        assertThat(w.describe()).isEqualTo("capture capture/ (3 files, 4)");
        assertThat(warnings).singleElement().asString().startsWith("capture-20231114T221320Z-00001.jsonl:3: skipped:");
        assertThat(w.recordedOffsetsNanos()).containsExactly(0L, 1_000_000_000L, 7_200_000_000_000L,
                7_200_500_000_000L);
        List<Integer> maxTokens = new ArrayList<>();
        for (RequestSpec r = w.next(); r != null; r = w.next()) {
            maxTokens.add(r.maxTokens());
        }
        assertThat(maxTokens).containsExactly(1, 2, 5, 6);
    }

    @Test
    void theCaptureFileStillBeingWrittenIsReadUpToItsLastFlush() throws Exception {
        Path cap = Files.createDirectory(dir.resolve("live"));
        Files.writeString(cap.resolve("capture-20231114T221320Z-00001.jsonl"), capLine(1_000_000L, 1));
        Files.write(cap.resolve("capture-20231114T221420Z-00002.jsonl.gz"), gzip(capLine(3_000_000L, 2), false));
        Workload w = loader().load(cap, null, 1);
        assertThat(w.recordedOffsetsNanos()).containsExactly(0L, 2_000_000_000L);
        assertThat(warnings).singleElement().asString().contains("00002.jsonl.gz:2: skipped:")
                .contains("ends early");
        warnings.clear();
        Workload single = loader().load(cap.resolve("capture-20231114T221420Z-00002.jsonl.gz"), null, 1);
        assertThat(single.recordedOffsetsNanos()).as("a single live file too").containsExactly(0L);
    }

    @Test
    void aDirectoryWithoutCapturesOrWithAnotherKindOfFileIsRefused() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> loader().load(empty, null, 1)).hasMessageContaining("no capture files");
        Path mixed = Files.createDirectory(dir.resolve("mixed"));
        Files.writeString(mixed.resolve("capture-20231114T221320Z-00001.jsonl"), capLine(1, 1));
        Files.writeString(mixed.resolve("trace.jsonl"), "{\"timestamp\":0,\"input_length\":5,\"output_length\":2}\n");
        assertThatThrownBy(() -> loader().load(mixed, null, 1)).hasMessageContaining("trace.jsonl: not a capture file");
    }
}
