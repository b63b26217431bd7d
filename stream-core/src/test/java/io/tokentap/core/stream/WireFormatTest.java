package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(10)
class WireFormatTest {

    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
            /v1/chat/completions               | text/event-stream                | OPENAI_CHAT_SSE
            /v1/chat/completions               | text/event-stream; charset=utf-8 | OPENAI_CHAT_SSE
            /v1/chat/completions?x=1&y=/v1/messages | Text/Event-Stream          | OPENAI_CHAT_SSE
            /openai/deployments/gpt/chat/completions?api-version=2024 | text/event-stream | OPENAI_CHAT_SSE
            /v1/chat/completions/              | text/event-stream                | OPENAI_CHAT_SSE
            /v1/completions                    | text/event-stream                | OPENAI_COMPLETIONS_SSE
            /v1/responses                      | text/event-stream; charset=utf-8 | OPENAI_RESPONSES_SSE
            /v1/messages?beta=true             | text/event-stream                | ANTHROPIC_SSE
            /generate_stream                   | text/event-stream                | TGI_SSE
            /something/else                    | text/event-stream                | UNKNOWN
            /api/generate                      | application/x-ndjson             | OLLAMA_NDJSON
            /api/chat                          | application/json; charset=utf-8  | OLLAMA_NDJSON
            /api/chat                          | NULL                             | OLLAMA_NDJSON
            /whatever                          | application/x-ndjson             | OLLAMA_NDJSON
            /v1/chat/completions               | application/json                 | JSON_USAGE
            /v1/messages                       | application/json; charset=utf-8  | JSON_USAGE
            /generate                          | application/problem+json         | JSON_USAGE
            /v1/chat/completions               | text/plain                       | UNKNOWN
            /v1/chat/completions               | NULL                             | UNKNOWN
            NULL                               | NULL                             | UNKNOWN
            NULL                               | application/json                 | JSON_USAGE
            """)
    void detectsTheFormat(String path, String contentType, WireFormat expected) {
        assertThat(WireFormat.detect(path, contentType)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void everyFormatHasAFreshDecoder(WireFormat format) {
        RecordingSink sink = new RecordingSink();
        StreamDecoder a = format.newDecoder(sink);
        assertThat(a).isNotNull();
        assertThat(a.malformedCount()).isZero();
        if (format != WireFormat.UNKNOWN) {
            assertThat(format.newDecoder(sink)).as("decoders are per response").isNotSameAs(a);
        }
    }

    @Test
    void unknownReportsNothing() {
        RecordingSink s = Feeder.decode(WireFormat.UNKNOWN, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
        assertThat(s.events).isEmpty();
        assertThat(s.malformed).isZero();
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> WireFormat.OPENAI_CHAT_SSE.newDecoder(new RecordingSink(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes: 0 (expected: > 0)");
        assertThatThrownBy(() -> WireFormat.OPENAI_CHAT_SSE.newDecoder(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sink");
    }
}
