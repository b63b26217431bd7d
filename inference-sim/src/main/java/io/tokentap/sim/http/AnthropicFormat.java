package io.tokentap.sim.http;

import io.tokentap.sim.engine.FinishReason;

/**
 * Anthropic Messages, streamed as the API sends it: {@code message_start} (input tokens), {@code content_block_start},
 * {@code ping}, one {@code content_block_delta} per token, {@code content_block_stop}, {@code message_delta} with the
 * stop reason and cumulative usage, {@code message_stop}.
 */
final class AnthropicFormat implements StreamFormat {
    private final String id;
    private final String model;
    private final int promptTokens;

    AnthropicFormat(String id, String model, int promptTokens) {
        this.id = id;
        this.model = Json.quote(model);
        this.promptTokens = promptTokens;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String open() {
        return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"" + id + "\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":" + model + ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":" + promptTokens + ",\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                + "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    }

    @Override
    public void token(StringBuilder out, CharSequence text) {
        out.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"").append(text).append("\"}}\n\n");
    }

    @Override
    public String close(FinishReason finish, int prompt, int completion) {
        return "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + reason(finish)
                + "\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":" + prompt + ",\"output_tokens\":" + completion
                + "}}\n\n"
                + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    }

    @Override
    public String body(CharSequence text, FinishReason finish, int prompt, int completion) {
        return "{\"id\":\"" + id + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + model
                + ",\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"stop_reason\":\"" + reason(finish)
                + "\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + prompt + ",\"output_tokens\":" + completion + "}}";
    }

    private static String reason(FinishReason finish) {
        return finish == FinishReason.STOP ? "end_turn" : "max_tokens";
    }
}
