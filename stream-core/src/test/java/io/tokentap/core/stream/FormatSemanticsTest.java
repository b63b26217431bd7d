package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What each API's events mean, beyond the recorded samples: the shapes other servers and situations produce. */
@Timeout(30)
class FormatSemanticsTest {

    @Test
    void tgiNativeGenerateStream() {
        String body = "data:{\"index\":1,\"token\":{\"id\":9906,\"text\":\"Hello\",\"logprob\":-0.1,\"special\":false},"
                + "\"generated_text\":null,\"details\":null}\n\n"
                + "data:{\"index\":2,\"token\":{\"id\":1917,\"text\":\" world\",\"logprob\":-0.2,\"special\":false},"
                + "\"generated_text\":null,\"details\":null}\n\n"
                + "data:{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":-0.3,\"special\":true},"
                + "\"generated_text\":\"Hello world\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,"
                + "\"seed\":null,\"input_length\":7}}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.TGI_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 1 Hello", "content TEXT 1  world",
                "content TEXT 1 ", "usage " + new Usage(7, 3, Usage.UNKNOWN, Usage.UNKNOWN), "done");
        assertThat(s.text()).as("special tokens are counted but are not text").isEqualTo("Hello world");
    }

    @Test
    void tgiErrorEvent() {
        String body = "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"a\",\"special\":false},\"generated_text\":null}\n\n"
                + "data:{\"error\":\"Request failed during generation: Server error: out of memory\","
                + "\"error_type\":\"generation\"}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.TGI_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 1 a",
                "error generation Request failed during generation: Server error: out of memory");
    }

    @Test
    void vllmReasoningToolCallsAndLogprobs() {
        String body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\" think\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi there\"},\"logprobs\":{\"content\":["
                + "{\"token\":\"Hi\",\"logprob\":-0.1,\"top_logprobs\":[{\"token\":\"Hi\",\"logprob\":-0.1}]},"
                + "{\"token\":\" there\",\"logprob\":-0.2,\"top_logprobs\":[]}]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("empty", "content REASONING 0 Let me", "content REASONING 0  think",
                "content TOOL_CALL 0 ", "content TOOL_CALL 0 {\"city\":", "content TEXT 2 Hi there", "empty", "done");
    }

    @Test
    void mistralContentPartsCarryThinkingAndText() {
        String body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\","
                + "\"thinking\":[{\"type\":\"text\",\"text\":\"Let me see\"}]}]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"Paris\"}]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[]}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\".\"}}]}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content REASONING 0 Let me see", "content TEXT 0 Paris", "empty",
                "content TEXT 0 .");
    }

    @Test
    void completionsLogprobsCountTokens() {
        String body = "data: {\"choices\":[{\"text\":\" a b\",\"index\":0,\"logprobs\":{\"tokens\":[\" a\",\" b\"],"
                + "\"token_logprobs\":[-1,-2],\"top_logprobs\":null,\"text_offset\":[0,2]},\"finish_reason\":null}]}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_COMPLETIONS_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 2  a b");
    }

    @Test
    void responsesErrorAndFailedAndIncomplete() {
        String error = "event: error\n"
                + "data: {\"type\":\"error\",\"code\":\"ERR_SOMETHING\",\"message\":\"Something went wrong\","
                + "\"param\":null,\"sequence_number\":1}\n\n";
        assertThat(Feeder.decode(WireFormat.OPENAI_RESPONSES_SSE, error).events)
                .containsExactly("error ERR_SOMETHING Something went wrong");

        String failed = "event: response.failed\n"
                + "data: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\","
                + "\"message\":\"The model failed\"},\"usage\":null}}\n\n";
        assertThat(Feeder.decode(WireFormat.OPENAI_RESPONSES_SSE, failed).events)
                .containsExactly("error server_error The model failed");

        String incomplete = "event: response.reasoning_summary_text.delta\n"
                + "data: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"Thinking\"}\n\n"
                + "event: response.incomplete\n"
                + "data: {\"type\":\"response.incomplete\",\"response\":{\"usage\":{\"input_tokens\":5,"
                + "\"input_tokens_details\":{\"cached_tokens\":2},\"output_tokens\":16,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":16},\"total_tokens\":21}}}\n\n";
        assertThat(Feeder.decode(WireFormat.OPENAI_RESPONSES_SSE, incomplete).events)
                .containsExactly("content REASONING 0 Thinking", "usage " + new Usage(5, 16, 2, 16), "done");
    }

    @Test
    void responsesTypeAfterThePayloadAndEmptyDeltas() {
        String body = "data: {\"delta\":\"late\",\"type\":\"response.output_text.delta\"}\n\n"
                + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"\"}\n\n"
                + "data: {\"type\":\"response.output_text.done\",\"text\":\"late\"}\n\n";
        assertThat(Feeder.decode(WireFormat.OPENAI_RESPONSES_SSE, body).events)
                .containsExactly("content TEXT 0 late", "empty", "empty");
    }

    @Test
    void anthropicCachedTokensCountAsInputLikeOpenAi() {
        String body = "event: message_start\n"
                + "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,"
                + "\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\n"
                + "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\","
                + "\"name\":\"get_weather\",\"input\":{}}}\n\n"
                + "event: content_block_delta\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
                + "\"partial_json\":\"{\\\"city\\\": \"}}\n\n"
                + "event: message_delta\n"
                + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":42}}\n\n"
                + "event: message_stop\n"
                + "data: {\"type\":\"message_stop\"}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.ANTHROPIC_SSE, body);
        assertThat(s.events).containsExactly("empty", "usage " + new Usage(115, 1, 100, Usage.UNKNOWN), "empty",
                "content TOOL_CALL 0 {\"city\": ", "empty",
                "usage " + new Usage(Usage.UNKNOWN, 42, Usage.UNKNOWN, Usage.UNKNOWN), "done");
        assertThat(s.mergedUsage()).isEqualTo(new Usage(115, 42, 100, Usage.UNKNOWN));
    }

    @Test
    void ollamaChatWithThinkingAndError() {
        String body = "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm\"},\"done\":false}\n"
                + "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                + "\n"
                + "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":false}\n"
                + "{\"error\":\"model runner has unexpectedly stopped\"}\r\n"
                + "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
                + "\"done_reason\":\"stop\",\"prompt_eval_count\":12,\"eval_count\":3,\"eval_duration\":1000}";
        RecordingSink s = Feeder.decode(WireFormat.OLLAMA_NDJSON, body);
        assertThat(s.events).containsExactly("content REASONING 1 Hmm", "content TEXT 1 Hi", "empty",
                "error error model runner has unexpectedly stopped",
                "usage " + new Usage(12, 3, Usage.UNKNOWN, Usage.UNKNOWN), "done");
        assertThat(s.malformed).isZero();
    }

    @Test
    void jsonBodyOpenAiChatCompletion() {
        String body = """
                {"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",
                "content":"Hello there","reasoning_content":"why","tool_calls":[]},"finish_reason":"stop"}],
                "usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,
                "prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":3}}}
                """;
        RecordingSink s = Feeder.decode(WireFormat.JSON_USAGE, body);
        assertThat(s.events).containsExactly("content TEXT 12 Hello there", "usage " + new Usage(9, 12, 4, 3), "done");
        assertThat(s.nanos).as("the time of the last body byte").containsOnly(1L);
    }

    @Test
    void jsonBodyAnthropicResponsesTgiAndCompletions() {
        String anthropic = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["
                + "{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"x\"},{\"type\":\"text\",\"text\":\"Paris\"}],"
                + "\"usage\":{\"input_tokens\":20,\"cache_read_input_tokens\":0,\"output_tokens\":5}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, anthropic).events)
                .containsExactly("content TEXT 5 Paris", "usage " + new Usage(20, 5, 0, Usage.UNKNOWN), "done");

        String responses = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"error\":null,"
                + "\"output\":[{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"s\"}]},"
                + "{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"Belo Horizonte\",\"annotations\":[]}]}],"
                + "\"usage\":{\"input_tokens\":25,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":10,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":4},\"total_tokens\":35}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, responses).events)
                .containsExactly("content TEXT 10 Belo Horizonte", "usage " + new Usage(25, 10, 0, 4), "done");

        String tgi = "{\"generated_text\":\"Deep learning is\",\"details\":{\"finish_reason\":\"length\","
                + "\"generated_tokens\":4,\"seed\":null,\"prefill\":[],\"tokens\":[]}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, tgi).events).containsExactly("content TEXT 4 Deep learning is",
                "usage " + new Usage(Usage.UNKNOWN, 4, Usage.UNKNOWN, Usage.UNKNOWN), "done");

        String completions = "{\"object\":\"text_completion\",\"choices\":[{\"text\":\" fib(n-1)\",\"index\":0}],"
                + "\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":5,\"total_tokens\":36}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, completions).events).containsExactly(
                "content TEXT 5  fib(n-1)", "usage " + new Usage(31, 5, Usage.UNKNOWN, Usage.UNKNOWN), "done");

        String anthropicTool = "{\"type\":\"message\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
                + "\"input\":{\"city\":\"Paris\"}}],\"usage\":{\"input_tokens\":5,\"output_tokens\":9}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, anthropicTool).events).containsExactly(
                "content TOOL_CALL 9 ", "usage " + new Usage(5, 9, Usage.UNKNOWN, Usage.UNKNOWN), "done");

        String toolOnly = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, toolOnly).events)
                .containsExactly("content TOOL_CALL 0 {\"a\":1}", "done");
    }

    @Test
    void jsonBodyErrorsAndLimits() {
        String error = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, error).events).containsExactly("error requests Rate limit reached");

        String anthropicError = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
        assertThat(Feeder.decode(WireFormat.JSON_USAGE, anthropicError).events)
                .containsExactly("error overloaded_error Overloaded");

        RecordingSink truncated = Feeder.decode(WireFormat.JSON_USAGE, "{\"choices\":[{\"message\":");
        assertThat(truncated.events).isEmpty();
        assertThat(truncated.malformed).isEqualTo(1);

        RecordingSink empty = Feeder.decode(WireFormat.JSON_USAGE, "");
        assertThat(empty.events).isEmpty();
        assertThat(empty.malformed).isZero();

        RecordingSink sink = new RecordingSink();
        StreamDecoder d = WireFormat.JSON_USAGE.newDecoder(sink, 64);
        byte[] big = ("{\"choices\":[{\"message\":{\"content\":\"" + "x".repeat(100) + "\"}}]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        d.feed(big, 0, 40, 1);
        d.feed(big, 40, big.length - 40, 2);
        d.end(3);
        assertThat(sink.events).as("a body over the limit is not decoded").isEmpty();
        assertThat(d.malformedCount()).isEqualTo(1);
    }
}
