package io.tokentap.loadgen.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations of plans and the command line: a number with a unit, {@code 250ms}, {@code 30s}, {@code 2m},
 * {@code 1h}, or a sum of them ({@code 1h30m}). A bare number is not accepted, so a missing unit is never guessed.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private Durations() {
    }

    /** Parses {@code text}, or throws {@link IllegalArgumentException} saying what was expected. */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (expected e.g. 500ms, 30s, 2m, 1h)");
        }
        Matcher m = PART.matcher(t);
        int pos = 0;
        double nanos = 0;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (expected e.g. 500ms, 30s, 2m, 1h)");
            }
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            pos = m.end();
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /** Formats a duration the way {@link #parse} reads it, in the largest unit that keeps it exact-ish. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
