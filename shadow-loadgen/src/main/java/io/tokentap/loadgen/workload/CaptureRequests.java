package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.core.capture.CaptureRecord;

/**
 * Turns a capture record back into a request, by redaction mode:
 * <ul>
 *   <li>{@code full}: the recorded body as it was;</li>
 *   <li>{@code shape}: messages of the recorded roles and token lengths, whose text is rebuilt block by block from
 *       the recorded {@code hash_ids}, so records that shared a prefix share it again;</li>
 *   <li>{@code none}: one user message as long as the recorded input tokens.</li>
 * </ul>
 * The output cap is the recorded output token count when known (so the replay asks for as much as was produced),
 * else the recorded {@code max_tokens}.
 */
final class CaptureRequests {

    private final ChatBodies bodies;
    private final TokenText text;

    CaptureRequests(ChatBodies bodies, TokenText text) {
        this.bodies = bodies;
        this.text = text;
    }

    RequestSpec request(CaptureRecord c, String modelOverride, int index) {
        String model = modelOverride != null ? modelOverride : c.model();
        Long recordedOut = c.timeline() == null ? null : c.timeline().outputTokens();
        String label = c.route();
        switch (c.redaction()) {
            case "full" -> {
                ObjectNode body = c.request().deepCopy();
                if (modelOverride != null) {
                    body.put("model", modelOverride);
                }
                return new RequestSpec(c.route(), body, -1, body.path("max_tokens").asInt(-1), c.tenant(), label, null);
            }
            case "shape" -> {
                CaptureRecord.Shape s = c.shape();
                int out = recordedOut != null && recordedOut > 0 ? recordedOut.intValue()
                        : s.maxTokens() != null ? s.maxTokens() : -1;
                ObjectNode body = bodies.chat(model, out);
                long[] seeds = s.hashIds() == null ? new long[0] : s.hashIds().stream().mapToLong(Long::longValue).toArray();
                int block = s.blockSize() == null ? WorkloadLoader.MOONCAKE_BLOCK : s.blockSize();
                int pos = 0;
                if (s.messages() == null || s.messages().isEmpty()) {
                    StringBuilder sb = new StringBuilder();
                    text.appendBlocks(sb, seeds, block, 0xcafeL + index, 0, Math.max(1, s.totalPromptTokens()));
                    ChatBodies.addMessage(body, "user", sb.toString());
                    pos = Math.max(1, s.totalPromptTokens());
                } else {
                    for (CaptureRecord.MessageShape m : s.messages()) {
                        StringBuilder sb = new StringBuilder(m.tokens() * 6);
                        text.appendBlocks(sb, seeds, block, 0xcafeL + index, pos, pos + m.tokens());
                        pos += m.tokens();
                        ChatBodies.addMessage(body, m.role() == null ? "user" : m.role(), sb.toString());
                    }
                }
                return new RequestSpec(c.route(), body, pos, out, c.tenant(), label, null);
            }
            default -> {
                Long in = c.timeline() == null ? null : c.timeline().inputTokens();
                int prompt = in != null && in > 0 ? in.intValue() : 1;
                int out = recordedOut != null && recordedOut > 0 ? recordedOut.intValue() : -1;
                ObjectNode body = bodies.chat(model, out);
                ChatBodies.addMessage(body, "user", text.text(prompt, 0xbeefL + index));
                return new RequestSpec(c.route(), body, prompt, out, c.tenant(), label, null);
            }
        }
    }
}
