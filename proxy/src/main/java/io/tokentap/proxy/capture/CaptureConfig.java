package io.tokentap.proxy.capture;

import io.tokentap.proxy.config.ConfigNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * The {@code capture} section of the proxy config: opt-in recording of live traffic for {@code tokentap replay}, in
 * the format of {@code docs/capture-format.md}. Off unless {@code dir} is set.
 *
 * <pre>{@code
 * capture:
 *   dir: /var/lib/tokentap/capture   # --capture DIR
 *   redaction: shape                 # full | shape | none (--capture-redaction)
 *   sample: 0.1                      # share of requests recorded (--capture-sample)
 *   rotateBytes: 128MiB              # a new file after this many bytes...
 *   rotateInterval: 1h               # ...or this long
 *   gzip: false
 *   queueCapacity: 8192              # records waiting for the writer; beyond, dropped and counted
 *   maxBodyBytes: 1MiB               # a larger request body is recorded as metadata only
 * }</pre>
 */
public record CaptureConfig(Path dir, Redaction redaction, double sample, long rotateBytes, Duration rotateInterval,
                            boolean gzip, int queueCapacity, int maxBodyBytes) {

    /** What of the request body a record keeps. */
    public enum Redaction {
        /** The whole body. */
        FULL,
        /** No text: message roles, token lengths and block hashes. */
        SHAPE,
        /** Metadata only. */
        NONE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Redaction parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    public static final CaptureConfig OFF = new CaptureConfig(null, Redaction.SHAPE, 1.0, 128L << 20,
            Duration.ofHours(1), false, 8192, 1 << 20);

    public CaptureConfig {
        if (redaction == null) {
            throw new IllegalArgumentException("redaction: missing (expected: full, shape or none)");
        }
        if (!(sample > 0 && sample <= 1)) {
            throw new IllegalArgumentException("sample: " + sample + " (expected: > 0 and <= 1)");
        }
        if (rotateBytes < 1024) {
            throw new IllegalArgumentException("rotateBytes: " + rotateBytes + " (expected: >= 1024)");
        }
        if (rotateInterval == null || rotateInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("rotateInterval: " + rotateInterval + " (expected: >= 1s)");
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: > 0)");
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes: " + maxBodyBytes + " (expected: > 0)");
        }
    }

    public boolean enabled() {
        return dir != null;
    }

    public CaptureConfig withDir(Path d) {
        return new CaptureConfig(d, redaction, sample, rotateBytes, rotateInterval, gzip, queueCapacity, maxBodyBytes);
    }

    public CaptureConfig withRedaction(Redaction r) {
        return new CaptureConfig(dir, r, sample, rotateBytes, rotateInterval, gzip, queueCapacity, maxBodyBytes);
    }

    public CaptureConfig withSample(double s) {
        return new CaptureConfig(dir, redaction, s, rotateBytes, rotateInterval, gzip, queueCapacity, maxBodyBytes);
    }

    public CaptureConfig withRotation(long bytes, Duration interval, boolean gz) {
        return new CaptureConfig(dir, redaction, sample, bytes, interval, gz, queueCapacity, maxBodyBytes);
    }

    public CaptureConfig withQueueCapacity(int n) {
        return new CaptureConfig(dir, redaction, sample, rotateBytes, rotateInterval, gzip, n, maxBodyBytes);
    }

    public static CaptureConfig from(ConfigNode n) {
        String dir = n.string("dir", null);
        String redaction = n.string("redaction", null);
        String sample = n.string("sample", null);
        long rotateBytes = n.bytes("rotateBytes", (int) OFF.rotateBytes());
        Duration rotateInterval = n.duration("rotateInterval", OFF.rotateInterval());
        boolean gzip = n.bool("gzip", OFF.gzip());
        int queue = n.intValue("queueCapacity", OFF.queueCapacity());
        int maxBody = n.bytes("maxBodyBytes", OFF.maxBodyBytes());
        // Parsed inside build, so that a bad value is reported against the line or flag that set it.
        return n.build(() -> new CaptureConfig(dir == null || dir.isBlank() ? null : Path.of(dir),
                parse("redaction", redaction, OFF.redaction(), Redaction::parse, "full, shape or none"),
                parse("sample", sample, OFF.sample(), Double::parseDouble, "a share such as 0.1 or 1"),
                rotateBytes, rotateInterval, gzip, queue, maxBody));
    }

    private static <T> T parse(String key, String s, T def, Function<String, T> parse, String expected) {
        if (s == null) {
            return def;
        }
        try {
            return parse.apply(s.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' (expected: " + expected + ")", e);
        }
    }
}
