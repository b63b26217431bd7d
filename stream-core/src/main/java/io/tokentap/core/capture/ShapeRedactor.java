package io.tokentap.core.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference implementation of the {@code shape} redaction of {@code docs/capture-format.md}: it turns a chat or
 * completions request body into its {@link CaptureRecord.Shape} — roles, per-message token lengths under
 * {@code cl100k_base}, and the chained hashes of fixed-size token blocks — without keeping any text.
 *
 * <pre>{@code
 * CaptureRecord.Shape s = new ShapeRedactor(512).shape(body);
 * }</pre>
 *
 * Thread-safe (the tokenizer is; a digest is made per call).
 */
public final class ShapeRedactor {

    /** The low 53 bits: every JSON reader keeps such an integer exact. */
    public static final long MASK_53 = (1L << 53) - 1;

    private final Encoding encoding;
    private final int blockSize;

    public ShapeRedactor(int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize: " + blockSize + " (expected: > 0)");
        }
        this.encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        this.blockSize = blockSize;
    }

    /** The shape of a request body: {@code messages} (chat) or {@code prompt} (completions). */
    public CaptureRecord.Shape shape(JsonNode body) {
        List<CaptureRecord.MessageShape> messages = new ArrayList<>();
        IntArrayList all = new IntArrayList();
        JsonNode msgs = body.path("messages");
        if (msgs.isArray()) {
            for (JsonNode m : msgs) {
                IntArrayList t = encoding.encodeOrdinary(text(m.path("content")));
                messages.add(new CaptureRecord.MessageShape(m.path("role").asText("user"), t.size()));
                append(all, t);
            }
        } else if (body.path("prompt").isTextual()) {
            IntArrayList t = encoding.encodeOrdinary(body.path("prompt").asText());
            messages.add(new CaptureRecord.MessageShape("user", t.size()));
            append(all, t);
        }
        Integer maxTokens = body.has("max_tokens") ? body.get("max_tokens").asInt()
                : body.has("max_completion_tokens") ? body.get("max_completion_tokens").asInt() : null;
        Boolean stream = body.has("stream") ? body.get("stream").asBoolean() : null;
        return new CaptureRecord.Shape(messages, all.size(), maxTokens, stream, "cl100k_base", blockSize,
                hashIds(all.toArray(), blockSize));
    }

    /** The text of a message's content: a string, or the text parts of a content array (images are not counted). */
    private static String text(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        if (content.isArray()) {
            for (JsonNode part : content) {
                if (part.path("text").isTextual()) {
                    sb.append(part.get("text").asText());
                }
            }
        }
        return sb.toString();
    }

    private static void append(IntArrayList to, IntArrayList from) {
        for (int i = 0; i < from.size(); i++) {
            to.add(from.get(i));
        }
    }

    /**
     * Chained block hashes: {@code id_i = H(id_{i-1} ‖ tokens of block i)} with {@code id_{-1} = 0}, where {@code H}
     * is the first 8 bytes of SHA-256 (big-endian) masked to 53 bits, ids and tokens written as big-endian 64- and
     * 32-bit integers. Two prompts share their first k ids exactly when they share their first k blocks.
     */
    public static List<Long> hashIds(int[] tokens, int blockSize) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
        List<Long> ids = new ArrayList<>();
        long prev = 0;
        for (int start = 0; start < tokens.length; start += blockSize) {
            int end = Math.min(tokens.length, start + blockSize);
            ByteBuffer buf = ByteBuffer.allocate(8 + 4 * (end - start));
            buf.putLong(prev);
            for (int i = start; i < end; i++) {
                buf.putInt(tokens[i]);
            }
            byte[] d = sha.digest(buf.array());
            prev = ByteBuffer.wrap(d, 0, 8).getLong() & MASK_53;
            ids.add(prev);
        }
        return ids;
    }
}
