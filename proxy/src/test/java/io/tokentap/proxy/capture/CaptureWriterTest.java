package io.tokentap.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.proxy.config.ConfigException;
import io.tokentap.proxy.config.ProxyConfig;
import java.io.BufferedReader;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class CaptureWriterTest {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String BODY = "{\"model\":\"m\",\"max_tokens\":64,\"stream\":true,\"messages\":["
            + "{\"role\":\"system\",\"content\":\"You are a terse assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";
    static final CaptureRecord.Timeline TIMELINE = new CaptureRecord.Timeline(200, "ok", 12.5, 80.0, 3.1, 3.2, 7.0,
            20L, 24L, null);

    @TempDir
    Path dir;

    static CapturedExchange exchange(long arrivalUs) {
        return new CapturedExchange(arrivalUs, "/v1/chat/completions", "m", "sha256:0123456789abcdef",
                BODY.getBytes(StandardCharsets.UTF_8), TIMELINE);
    }

    /** Every record of every capture file in the directory, files in name order. */
    static List<CaptureRecord> readAll(Path dir) throws IOException {
        List<CaptureRecord> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.getFileName().toString().startsWith("capture-")).sorted().toList();
        }
        for (Path f : files) {
            InputStream in = Files.newInputStream(f);
            if (f.toString().endsWith(".gz")) {
                in = new GZIPInputStream(in);
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.add(MAPPER.readValue(line, CaptureRecord.class));
                }
            }
        }
        return out;
    }

    @Test
    void shapeRecordsKeepStructureButNoText() throws Exception {
        CaptureConfig c = CaptureConfig.OFF.withDir(dir);
        try (CaptureWriter w = new CaptureWriter(c, new Random(1), Clock.systemUTC())) {
            w.record(exchange(1_700_000_000_000_000L));
            w.record(new CapturedExchange(1_700_000_000_100_000L, "/v1/chat/completions", null, null,
                    "not json".getBytes(StandardCharsets.UTF_8), TIMELINE));
        }
        String text;
        try (Stream<Path> s = Files.list(dir)) {
            Path f = s.findFirst().orElseThrow();
            assertThat(f.getFileName().toString()).matches("capture-\\d{8}T\\d{6}Z-00001\\.jsonl");
            text = Files.readString(f);
        }
        assertThat(text).doesNotContain("France", "terse", "assistant.");
        List<CaptureRecord> rs = readAll(dir);
        assertThat(rs).hasSize(2);
        CaptureRecord r = rs.get(0);
        assertThat(r.v()).isEqualTo(1);
        assertThat(r.redaction()).isEqualTo("shape");
        assertThat(r.tenant()).isEqualTo("sha256:0123456789abcdef");
        assertThat(r.shape().messages()).extracting(CaptureRecord.MessageShape::role).containsExactly("system", "user");
        assertThat(r.shape().totalPromptTokens()).isBetween(10, 20);
        assertThat(r.shape().maxTokens()).isEqualTo(64);
        assertThat(r.shape().hashIds()).hasSize(1);
        assertThat(r.timeline()).isEqualTo(TIMELINE);
        // A body that is not JSON is recorded as metadata only.
        assertThat(rs.get(1).redaction()).isEqualTo("none");
    }

    @Test
    void fullKeepsTheBodyAndNoneKeepsNothingOfIt() throws Exception {
        Path full = dir.resolve("full");
        Path none = dir.resolve("none");
        try (CaptureWriter w = new CaptureWriter(CaptureConfig.OFF.withDir(full).withRedaction(
                CaptureConfig.Redaction.FULL), new Random(1), Clock.systemUTC())) {
            w.record(exchange(1_700_000_000_000_000L));
        }
        CaptureWriter n = new CaptureWriter(CaptureConfig.OFF.withDir(none).withRedaction(
                CaptureConfig.Redaction.NONE), new Random(1), Clock.systemUTC());
        assertThat(n.maxBodyBytes()).isZero(); // the relay does not even copy bodies
        n.record(new CapturedExchange(1_700_000_000_000_000L, "/v1/chat/completions", "m", null, null, TIMELINE));
        n.close();
        CaptureRecord f = readAll(full).get(0);
        assertThat(f.redaction()).isEqualTo("full");
        assertThat(f.request()).isEqualTo(MAPPER.readTree(BODY));
        CaptureRecord o = readAll(none).get(0);
        assertThat(o.redaction()).isEqualTo("none");
        assertThat(o.request()).isNull();
        assertThat(o.shape()).isNull();
        assertThat(o.timeline().inputTokens()).isEqualTo(20L);
    }

    @Test
    void rotatesBySizeAndByTimeGzippedAndLosesNothing() throws Exception {
        AtomicLong now = new AtomicLong();
        CaptureConfig c = CaptureConfig.OFF.withDir(dir).withRotation(2048, Duration.ofMinutes(1), true);
        CaptureWriter w = new CaptureWriter(c, new Random(1), Clock.systemUTC(), now::get,
                RollingCaptureFiles.CREATE_NEW);
        for (int i = 0; i < 20; i++) {
            w.record(exchange(1_700_000_000_000_000L + i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> w.written() == 20);
        long bySize;
        try (Stream<Path> s = Files.list(dir)) {
            bySize = s.count();
        }
        // Each record is ~400 bytes: a new file every few records.
        assertThat(bySize).isGreaterThanOrEqualTo(3);
        now.addAndGet(Duration.ofMinutes(2).toNanos()); // the open file is now too old: closed while idle
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .untilAsserted(() -> assertThat(readAll(dir)).hasSize(20));
        w.record(exchange(1_700_000_000_000_100L));
        w.close();
        List<CaptureRecord> rs = readAll(dir);
        assertThat(rs).hasSize(21);
        assertThat(rs).extracting(CaptureRecord::arrivalUs).isSorted();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".jsonl.gz"))
                    .hasSize((int) bySize + 1);
        }
        assertThat(w.droppedQueueFull()).isZero();
        assertThat(w.writeFailed()).isZero();
    }

    @Test
    void aStalledDiskAtShutdownDropsWhatIsLeftCountedAndClosesTheFileWhole() throws Exception {
        AtomicLong now = new AtomicLong();
        CountDownLatch diskReached = new CountDownLatch(1);
        CountDownLatch diskBack = new CountDownLatch(1);
        // The disk stalls on the first write that reaches it (the writer's flush after the first record).
        RollingCaptureFiles.Opener stalling = f -> new FilterOutputStream(RollingCaptureFiles.CREATE_NEW.open(f)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                diskReached.countDown();
                try {
                    diskBack.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                out.write(b, off, len);
            }
        };
        CaptureConfig c = CaptureConfig.OFF.withDir(dir).withRotation(1 << 20, Duration.ofHours(1), true);
        CaptureWriter w = new CaptureWriter(c, new Random(1), Clock.systemUTC(), now::get, stalling);
        w.record(exchange(1_700_000_000_000_000L));
        assertThat(diskReached.await(10, TimeUnit.SECONDS)).as("the writer's flush of the first record").isTrue();
        for (int i = 1; i <= 50; i++) {
            w.record(exchange(1_700_000_000_000_000L + i));
        }
        Thread closing = new Thread(() -> w.close(Duration.ofSeconds(5)));
        closing.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> !w.sample()); // closed: it samples nothing more
        now.addAndGet(Duration.ofSeconds(10).toNanos()); // the time close gave is up while the disk is stalled
        diskBack.countDown();
        closing.join(5_000);
        assertThat(closing.isAlive()).as("close returned").isFalse();
        assertThat(w.written()).isEqualTo(1);
        assertThat(w.droppedShutdown()).isEqualTo(50);
        // The file is whole: the gzip trailer is there and the record before the stall reads back.
        assertThat(readAll(dir)).extracting(CaptureRecord::arrivalUs).containsExactly(1_700_000_000_000_000L);
    }

    @Test
    void samplesTheConfiguredShare() {
        CaptureWriter w = new CaptureWriter(CaptureConfig.OFF.withDir(dir).withSample(0.1), new Random(42),
                Clock.systemUTC());
        int n = 0;
        for (int i = 0; i < 10_000; i++) {
            n += w.sample() ? 1 : 0;
        }
        w.close();
        assertThat(n).isBetween(900, 1100);
        assertThat(w.sample()).isFalse(); // closed: nothing more is sampled
    }

    @Test
    void theSectionIsReadFromYamlAndFlagsWithBadValuesNamed() {
        ProxyConfig p = ProxyConfig.load(null, Map.of(
                "upstream.url", new ProxyConfig.Setting("http://127.0.0.1:8000", "flag --upstream"),
                "capture.dir", new ProxyConfig.Setting(dir.toString(), "flag --capture"),
                "capture.redaction", new ProxyConfig.Setting("full", "flag --capture-redaction"),
                "capture.sample", new ProxyConfig.Setting("0.25", "flag --capture-sample")));
        assertThat(p.capture().enabled()).isTrue();
        assertThat(p.capture().redaction()).isEqualTo(CaptureConfig.Redaction.FULL);
        assertThat(p.capture().sample()).isEqualTo(0.25);
        assertThat(ProxyConfig.load(null, Map.of("upstream.url",
                new ProxyConfig.Setting("http://127.0.0.1:8000", "flag --upstream"))).capture().enabled()).isFalse();
        Assertions.assertThatThrownBy(() -> ProxyConfig.load(null, Map.of(
                        "upstream.url", new ProxyConfig.Setting("http://127.0.0.1:8000", "flag --upstream"),
                        "capture.redaction", new ProxyConfig.Setting("secret", "flag --capture-redaction"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("flag --capture-redaction").hasMessageContaining("capture.redaction: 'secret'")
                .hasMessageContaining("full, shape or none");
        Assertions.assertThatThrownBy(() -> ProxyConfig.load(null, Map.of(
                        "upstream.url", new ProxyConfig.Setting("http://127.0.0.1:8000", "flag --upstream"),
                        "capture.sample", new ProxyConfig.Setting("1.5", "flag --capture-sample"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("capture.sample: 1.5");
    }
}
