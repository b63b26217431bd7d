package io.tokentap.loadgen.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.capture.CaptureRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Reads a capture file (JSON lines, gzipped when the name ends in {@code .gz}). A line that is not a valid
 * {@link CaptureRecord} is reported with its line number and skipped.
 *
 * <pre>{@code
 * JsonLines.Result<CaptureRecord> r = new CaptureReader(mapper).read(Path.of("capture.jsonl"));
 * r.badLines().forEach(b -> System.err.println("capture.jsonl: " + b));
 * }</pre>
 */
public final class CaptureReader {

    private final ObjectMapper mapper;

    public CaptureReader(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public JsonLines.Result<CaptureRecord> read(Path file) throws IOException {
        return JsonLines.read(file, mapper, CaptureRecord.class);
    }

    public JsonLines.Result<CaptureRecord> read(InputStream in) throws IOException {
        return JsonLines.read(in, line -> mapper.readValue(line, CaptureRecord.class));
    }
}
