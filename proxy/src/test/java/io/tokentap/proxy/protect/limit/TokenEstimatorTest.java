package io.tokentap.proxy.protect.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TokenEstimatorTest {

    private static final ProtectionConfig.Tokens CONFIG = new ProtectionConfig.Tokens("cl100k_base", 256, 10_000, 4);
    private static final TokenEstimator ESTIMATOR = new TokenEstimator(CONFIG);

    private static TokenEstimate estimate(String json, boolean direct) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = direct ? Unpooled.directBuffer(bytes.length).writeBytes(bytes) : Unpooled.wrappedBuffer(bytes);
        try {
            int reader = buf.readerIndex();
            TokenEstimate e = ESTIMATOR.estimate(buf);
            assertThat(buf.readerIndex()).isEqualTo(reader);
            return e;
        } finally {
            buf.release();
        }
    }

    private static TokenEstimate estimate(String json) {
        TokenEstimate heap = estimate(json, false);
        assertThat(estimate(json, true)).isEqualTo(heap);
        return heap;
    }

    @Test
    void chatMessagesCountTextAndPerMessageOverhead() {
        // "Hello world" is 2 tokens in cl100k_base, "You are terse." 4.
        assertThat(ESTIMATOR.count("Hello world")).isEqualTo(2);
        TokenEstimate e = estimate("{\"model\":\"gpt-4o\",\"stream\":true,\"max_tokens\":50,\"messages\":["
                + "{\"role\":\"system\",\"content\":\"You are terse.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello world\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAA\"}}]}]}");
        long text = ESTIMATOR.count("You are terse.\nHello world\n");
        assertThat(e.promptTokens()).isEqualTo(text + 2 * 4);
        assertThat(e.outputTokens()).isEqualTo(50);
        assertThat(e.model()).isEqualTo("gpt-4o");
        assertThat(e.stream()).isTrue();
        assertThat(e.parsed()).isTrue();
        assertThat(e.total()).isEqualTo(e.promptTokens() + 50);
    }

    @Test
    void maxCompletionTokensAndNMultiplyTheOutput() {
        TokenEstimate e = estimate("{\"messages\":[],\"max_completion_tokens\":100,\"n\":3}");
        assertThat(e.outputTokens()).isEqualTo(300);
        assertThat(e.promptTokens()).isZero();
        assertThat(estimate("{\"input\":\"hi\",\"max_output_tokens\":7}").outputTokens()).isEqualTo(7);
        assertThat(estimate("{\"messages\":[]}").outputTokens()).isEqualTo(256);
    }

    @Test
    void completionsPromptsAsTextOrTokenIds() {
        assertThat(estimate("{\"prompt\":\"Hello world\"}").promptTokens()).isEqualTo(ESTIMATOR.count("Hello world\n"));
        assertThat(estimate("{\"prompt\":[\"Hello world\",\"Hello world\"]}").promptTokens())
                .isEqualTo(ESTIMATOR.count("Hello world\nHello world\n"));
        assertThat(estimate("{\"prompt\":[1,2,3,4,5]}").promptTokens()).isEqualTo(5);
        assertThat(estimate("{\"prompt\":[[1,2],[3]]}").promptTokens()).isEqualTo(3);
    }

    @Test
    void responsesApiAndAnthropicShapes() {
        TokenEstimate responses = estimate("{\"instructions\":\"Be brief\",\"input\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"Hello world\"}]}]}");
        assertThat(responses.promptTokens()).isEqualTo(ESTIMATOR.count("Be brief\nHello world\n"));
        TokenEstimate anthropic = estimate("{\"system\":[{\"type\":\"text\",\"text\":\"Be brief\"}],"
                + "\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello world\"}]}");
        assertThat(anthropic.promptTokens()).isEqualTo(ESTIMATOR.count("Be brief\nHello world\n") + 4);
        assertThat(anthropic.outputTokens()).isEqualTo(64);
    }

    @Test
    void specialTokensInTextAreCountedNotRefused() {
        assertThat(estimate("{\"prompt\":\"<|endoftext|> hi\"}").promptTokens()).isPositive();
    }

    @Test
    void aHugePromptIsExtrapolatedFromTheExactSample() {
        String big = "word ".repeat(20_000); // 100,000 chars, 10,000 counted exactly: " word" is one token
        TokenEstimate e = estimate("{\"prompt\":\"" + big + "\"}");
        long exact = ESTIMATOR.count(big + "\n");
        assertThat(e.promptTokens()).isBetween(exact * 95 / 100, exact * 105 / 100);
        // Dense text (digits tokenise in threes) is extrapolated at its own ratio, not at 4 characters a token.
        String digits = "1234567890".repeat(10_000);
        long exactDigits = ESTIMATOR.count(digits + "\n");
        assertThat(estimate("{\"prompt\":\"" + digits + "\"}").promptTokens())
                .isBetween(exactDigits * 90 / 100, exactDigits * 110 / 100);
    }

    @Test
    void invalidJsonIsEstimatedFromItsSize() {
        TokenEstimate e = estimate("{\"messages\": [ not json at all");
        assertThat(e.parsed()).isFalse();
        assertThat(e.promptTokens()).isEqualTo(8); // 30 bytes / 4, rounded up
        assertThat(e.outputTokens()).isEqualTo(256);
        assertThat(estimate("[1,2,3]").parsed()).isFalse();
        assertThat(estimate("").promptTokens()).isZero();
        assertThat(estimate("\"just a string\"").parsed()).isFalse();
    }

    @Test
    void deepNestingIsRefusedNotRecursed() {
        String deep = "{\"input\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        assertThat(estimate(deep).parsed()).isFalse();
    }
}
