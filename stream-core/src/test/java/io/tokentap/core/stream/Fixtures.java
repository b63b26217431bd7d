package io.tokentap.core.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Loads the real wire samples in {@code src/test/resources/fixtures} as raw response bodies. */
public final class Fixtures {

    private Fixtures() {
    }

    public static byte[] resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first interaction's response body of a go-vcr or VCR.py cassette. */
    @SuppressWarnings("unchecked")
    public static byte[] cassetteBody(String name) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Map<String, Object> doc = yaml.load(new String(resource(name), StandardCharsets.UTF_8));
        List<Map<String, Object>> interactions = (List<Map<String, Object>>) doc.get("interactions");
        Map<String, Object> response = (Map<String, Object>) interactions.get(0).get("response");
        Object body = response.get("body");
        if (body instanceof Map<?, ?> m) {
            body = m.get("string"); // VCR.py: body: {string: ...}
        }
        return ((String) body).getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON array of parsed chunks, re-serialised as TGI writes them: {@code data:{...}} and a blank line. */
    public static byte[] chunksAsSse(String name) {
        try {
            ObjectMapper mapper = new ObjectMapper();
            StringBuilder sb = new StringBuilder();
            for (JsonNode chunk : mapper.readTree(resource(name))) {
                sb.append("data:").append(mapper.writeValueAsString(chunk)).append("\n\n");
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pretty-printed JSON object as one NDJSON line. */
    static byte[] compactLine(String name) {
        try {
            ObjectMapper mapper = new ObjectMapper();
            return (mapper.writeValueAsString(mapper.readTree(resource(name))) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
