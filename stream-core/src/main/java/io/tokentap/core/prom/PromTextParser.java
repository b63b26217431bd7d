package io.tokentap.core.prom;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the Prometheus text exposition format (version 0.0.4) and the parts of OpenMetrics 1.0 that exporters use
 * ({@code # UNIT}, {@code # EOF}, exemplars, float-second timestamps, the extra types).
 *
 * <p>Parsing is per line and lenient: a line that is not valid is reported in {@link PromScrape#errors()} and the
 * rest is kept, because a scraper must not lose the KV-cache figure of a server whose exposition has one odd line.
 * Label values are unescaped ({@code \\}, {@code \"}, {@code \n}); {@code +Inf}, {@code -Inf} and {@code NaN}
 * are values. Stateless and thread-safe.
 *
 * <pre>{@code
 * PromScrape scrape = PromTextParser.parse(body);
 * double waiting = scrape.samples("vllm:num_requests_waiting").get(0).value();
 * }</pre>
 */
public final class PromTextParser {

    private PromTextParser() { }

    /** Parses a whole exposition. */
    public static PromScrape parse(CharSequence text) {
        String s = text.toString();
        boolean openMetrics = endsWithEof(s);
        List<PromSample> samples = new ArrayList<>();
        Map<String, PromMetricType> types = new LinkedHashMap<>();
        Map<String, String> help = new HashMap<>();
        Map<String, String> units = new HashMap<>();
        List<PromParseError> errors = new ArrayList<>();

        int lineNo = 0;
        int pos = 0;
        int len = s.length();
        while (pos < len) {
            int nl = s.indexOf('\n', pos);
            int end = nl < 0 ? len : nl;
            lineNo++;
            int lineEnd = end > pos && s.charAt(end - 1) == '\r' ? end - 1 : end;
            String line = s.substring(pos, lineEnd);
            pos = end + 1;
            if (line.isBlank()) {
                continue;
            }
            try {
                if (line.charAt(0) == '#') {
                    if (comment(line, types, help, units)) {
                        break; // # EOF
                    }
                } else {
                    samples.add(new LineParser(line, openMetrics).sample());
                }
            } catch (IllegalArgumentException e) {
                errors.add(new PromParseError(lineNo, line, e.getMessage()));
            }
        }
        return new PromScrape(samples, types, help, units, errors);
    }

    private static boolean endsWithEof(String s) {
        int end = s.length();
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.startsWith("# EOF", Math.max(0, end - 5)) && end >= 5;
    }

    /** Handles a {@code #} line; returns true on {@code # EOF}. */
    private static boolean comment(String line, Map<String, PromMetricType> types, Map<String, String> help,
                                   Map<String, String> units) {
        String[] parts = line.substring(1).trim().split("[ \t]+", 3);
        String keyword = parts[0];
        switch (keyword) {
            case "EOF":
                return true;
            case "HELP":
                requireName(parts, "HELP");
                help.put(parts[1], parts.length > 2 ? unescapeHelp(parts[2]) : "");
                return false;
            case "TYPE": {
                requireName(parts, "TYPE");
                if (parts.length < 3) {
                    throw new IllegalArgumentException("TYPE without a type (expected: # TYPE name type)");
                }
                PromMetricType type = PromMetricType.parse(parts[2].trim());
                if (type == null) {
                    throw new IllegalArgumentException("unknown type '" + parts[2].trim()
                            + "' (expected: counter, gauge, histogram, summary, untyped, ...)");
                }
                if (types.putIfAbsent(parts[1], type) != null) {
                    throw new IllegalArgumentException("second TYPE line for " + parts[1]);
                }
                return false;
            }
            case "UNIT":
                requireName(parts, "UNIT");
                units.put(parts[1], parts.length > 2 ? parts[2].trim() : "");
                return false;
            default:
                return false; // a plain comment
        }
    }

    private static void requireName(String[] parts, String keyword) {
        if (parts.length < 2 || !validMetricName(parts[1])) {
            throw new IllegalArgumentException(keyword + " without a valid metric name");
        }
    }

    static boolean validMetricName(String name) {
        if (name.isEmpty() || !metricNameStart(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            if (!metricNamePart(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean metricNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':';
    }

    private static boolean metricNamePart(char c) {
        return metricNameStart(c) || c >= '0' && c <= '9';
    }

    private static boolean labelNamePart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= '0' && c <= '9';
    }

    private static String unescapeHelp(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                if (n == 'n') {
                    b.append('\n');
                } else if (n == '\\') {
                    b.append('\\');
                } else {
                    b.append('\\').append(n); // HELP escapes only \\ and \n
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static double parseValue(String v) {
        switch (v) {
            case "+Inf":
            case "Inf":
            case "+inf":
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
            case "nan":
                return Double.NaN;
            default:
                break;
        }
        if (v.isEmpty()) {
            throw new IllegalArgumentException("missing value");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            // Double.parseDouble also takes "1d", "0x1p3" and "Infinity": the format does not.
            if (!(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
                throw new IllegalArgumentException("not a number: '" + v + "'");
            }
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + v + "'");
        }
    }

    /** A cursor over one sample line. */
    private static final class LineParser {
        private final String line;
        private final boolean openMetrics;
        private int i;

        LineParser(String line, boolean openMetrics) {
            this.line = line;
            this.openMetrics = openMetrics;
        }

        PromSample sample() {
            skipSpace();
            int start = i;
            if (i >= line.length() || !metricNameStart(line.charAt(i))) {
                throw new IllegalArgumentException("expected a metric name at column " + (i + 1));
            }
            while (i < line.length() && metricNamePart(line.charAt(i))) {
                i++;
            }
            String name = line.substring(start, i);
            Map<String, String> labels = Map.of();
            skipSpace();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                labels = labels();
            }
            skipSpace();
            String value = token();
            double v = parseValue(value);
            skipSpace();
            long ts = PromSample.NO_TIMESTAMP;
            if (i < line.length() && line.charAt(i) != '#') {
                ts = timestamp(token());
                skipSpace();
            }
            // An OpenMetrics exemplar (" # {trace_id="..."} 1.0") may follow; it is not a sample of its own.
            if (i < line.length() && line.charAt(i) != '#') {
                throw new IllegalArgumentException("unexpected text after the value at column " + (i + 1));
            }
            return new PromSample(name, labels, v, ts);
        }

        private Map<String, String> labels() {
            Map<String, String> labels = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (i >= line.length()) {
                    throw new IllegalArgumentException("unterminated label set");
                }
                if (line.charAt(i) == '}') {
                    i++;
                    return labels;
                }
                int start = i;
                while (i < line.length() && labelNamePart(line.charAt(i))) {
                    i++;
                }
                if (start == i || Character.isDigit(line.charAt(start))) {
                    throw new IllegalArgumentException("expected a label name at column " + (start + 1));
                }
                String key = line.substring(start, i);
                skipSpace();
                expect('=');
                skipSpace();
                expect('"');
                String value = quoted();
                if (labels.put(key, value) != null) {
                    throw new IllegalArgumentException("duplicate label " + key);
                }
                skipSpace();
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                } else if (i >= line.length() || line.charAt(i) != '}') {
                    throw new IllegalArgumentException("expected ',' or '}' at column " + (i + 1));
                }
            }
        }

        private String quoted() {
            StringBuilder b = new StringBuilder();
            while (i < line.length()) {
                char c = line.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    if (i >= line.length()) {
                        break;
                    }
                    char n = line.charAt(i++);
                    switch (n) {
                        case 'n': b.append('\n'); break;
                        case '\\': b.append('\\'); break;
                        case '"': b.append('"'); break;
                        default: b.append('\\').append(n); break; // kept as written, like Prometheus
                    }
                } else {
                    b.append(c);
                }
            }
            throw new IllegalArgumentException("unterminated label value");
        }

        private long timestamp(String t) {
            boolean fractional = t.indexOf('.') >= 0 || t.indexOf('e') >= 0 || t.indexOf('E') >= 0;
            if (fractional || openMetrics) {
                // OpenMetrics timestamps are seconds.
                double seconds = parseValue(t);
                if (!Double.isFinite(seconds)) {
                    throw new IllegalArgumentException("timestamp not finite: '" + t + "'");
                }
                return Math.round(seconds * 1000.0);
            }
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad timestamp: '" + t + "'");
            }
        }

        private String token() {
            int start = i;
            while (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                i++;
            }
            return line.substring(start, i);
        }

        private void expect(char c) {
            if (i >= line.length() || line.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at column " + (i + 1));
            }
            i++;
        }

        private void skipSpace() {
            while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
        }
    }
}
