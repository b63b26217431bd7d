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
        return read(file, line -> mapper.readValue(line, type));
    }

    /**
     * Reads a file. A gzip file that ends early (the proxy's current capture file, still being written: complete up
     * to its last sync flush) gives the lines before the cut and one bad line that says so; an empty gzip file (just
     * opened, its header still buffered) gives nothing.
     */
    public static <T> Result<T> read(Path file, LineMapper<T> mapperFn) throws IOException {
        if (!file.getFileName().toString().endsWith(".gz")) {
            try (InputStream in = Files.newInputStream(file)) {
                return read(in, mapperFn);
            }
        }
        if (Files.size(file) == 0) {
            return new Result<>(List.of(), List.of(), List.of());
        }
        try (EndOfInput in = new EndOfInput(new GZIPInputStream(Files.newInputStream(file), 1 << 16))) {
            Result<T> r = read(in, mapperFn);
            if (!in.cut) {
                return r;
            }
            List<BadLine> bad = new ArrayList<>(r.badLines());
            long last = r.lines().isEmpty() ? 0 : r.lines().get(r.lines().size() - 1);
            long line = Math.max(last, bad.isEmpty() ? 0 : bad.get(bad.size() - 1).line()) + 1;
            bad.add(new BadLine(line, "the compressed file ends early (still being written?)"));
            return new Result<>(r.values(), r.lines(), bad);
        }
    }

    /** Opens a file for reading, unzipping a {@code .gz} one, which ends quietly where it was cut. */
    public static InputStream open(Path file) throws IOException {
        if (!file.getFileName().toString().endsWith(".gz")) {
            return Files.newInputStream(file);
        }
        if (Files.size(file) == 0) {
            return InputStream.nullInputStream();
        }
        return new EndOfInput(new GZIPInputStream(Files.newInputStream(file), 1 << 16));
    }

    /**
     * Ends a stream at an unexpected end of its input instead of failing: {@link java.util.zip.InflaterInputStream}
     * hands out everything it could inflate before it throws, so no complete line is lost.
     */
    private static final class EndOfInput extends java.io.FilterInputStream {
        boolean cut;

        EndOfInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return cut ? -1 : super.read();
            } catch (java.io.EOFException e) {
                cut = true;
                return -1;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return cut ? -1 : super.read(b, off, len);
            } catch (java.io.EOFException e) {
                cut = true;
                return -1;
            }
        }
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
