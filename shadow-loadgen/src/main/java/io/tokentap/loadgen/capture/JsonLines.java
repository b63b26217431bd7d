package io.tokentap.loadgen.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a JSON-lines file (gzipped when the name ends in {@code .gz}) into values of one type. A line that does not
 * parse, or whose value is refused by the type's validation, is reported with its line number and skipped; blank
 * lines are ignored.
 */
public final class JsonLines {

    /** A line that was skipped, and why. */
    public record BadLine(long line, String problem) {
        @Override
        public String toString() {
            return "line " + line + ": " + problem;
        }
    }

    /** The values read, in file order with their line numbers, and the lines skipped. */
    public record Result<T>(List<T> values, List<Long> lines, List<BadLine> badLines) {
    }

    /** Converts one parsed line; throws {@link IllegalArgumentException} to refuse it. */
    @FunctionalInterface
    public interface LineMapper<T> {
        T map(String line) throws IOException;
    }

    private JsonLines() {
    }

    public static <T> Result<T> read(Path file, ObjectMapper mapper, Class<T> type) throws IOException {
        try (InputStream in = open(file)) {
            return read(in, line -> mapper.readValue(line, type));
        }
    }

    public static <T> Result<T> read(Path file, LineMapper<T> mapperFn) throws IOException {
        try (InputStream in = open(file)) {
            return read(in, mapperFn);
        }
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    public static <T> Result<T> read(InputStream in, LineMapper<T> mapperFn) throws IOException {
        List<T> values = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        List<BadLine> bad = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        long n = 0;
        while ((line = r.readLine()) != null) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                values.add(mapperFn.map(line));
                lines.add(n);
            } catch (ValueInstantiationException e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                bad.add(new BadLine(n, c.getMessage()));
            } catch (JsonProcessingException e) {
                bad.add(new BadLine(n, e.getOriginalMessage()));
            } catch (IllegalArgumentException e) {
                bad.add(new BadLine(n, e.getMessage()));
            }
        }
        return new Result<>(values, lines, bad);
    }
}
