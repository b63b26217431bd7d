package io.tokentap.proxy.relay;

import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.time.Duration;
import java.util.List;

/**
 * Realistic streams in the shapes real servers send (see the fixtures: OpenAI chat.completions chunks with a
 * role-only first chunk, a usage chunk with {@code choices:[]} and {@code [DONE]}; Anthropic Messages events from
 * {@code message_start} to {@code message_stop} with pings and cumulative usage).
 */
final class Sse {

    private Sse() {
    }

    static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /** An OpenAI chat.completions stream of {@code tokens}, {@code gap} apart. */
    static Script openAiChat(String model, List<String> tokens, Duration gap) {
        String head = "{\"id\":\"chatcmpl-tt1\",\"object\":\"chat.completion.chunk\",\"created\":1755137921,\"model\":"
                + json(model) + ",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":";
        Script s = Sse.sseScript();
        s.send("data: " + head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                + "\"finish_reason\":null}],\"usage\":null}\n\n");
        for (String t : tokens) {
            s.pause(gap);
            s.send("data: " + head + "[{\"index\":0,\"delta\":{\"content\":" + json(t) + "},\"finish_reason\":null}],"
                    + "\"usage\":null}\n\n");
        }
        s.send("data: " + head + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n");
        s.send("data: " + head + "[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + tokens.size()
                + ",\"total_tokens\":" + (12 + tokens.size()) + ",\"prompt_tokens_details\":{\"cached_tokens\":0},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n");
        s.send("data: [DONE]\n\n");
        return s.end();
    }

    /** An Anthropic Messages stream of {@code tokens}, {@code gap} apart. */
    static Script anthropic(String model, List<String> tokens, Duration gap) {
        Script s = Sse.sseScript();
        s.send("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_tt1\",\"type\":"
                + "\"message\",\"role\":\"assistant\",\"model\":" + json(model) + ",\"content\":[],\"stop_reason\":null,"
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":0,\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n");
        s.send("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                + "{\"type\":\"text\",\"text\":\"\"}}\n\n");
        s.send("event: ping\ndata: {\"type\": \"ping\"}\n\n");
        for (String t : tokens) {
            s.pause(gap);
            s.send("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                    + "{\"type\":\"text_delta\",\"text\":" + json(t) + "}}\n\n");
        }
        s.send("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
        s.send("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + tokens.size() + "}}\n\n");
        s.send("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        return s.end();
    }

    static Script sseScript() {
        return Script.sse()
                .header("x-request-id", "req_tt1")
                .header("openai-processing-ms", "12");
    }
}
