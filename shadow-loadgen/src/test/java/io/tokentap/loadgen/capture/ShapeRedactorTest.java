package io.tokentap.loadgen.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.core.capture.ShapeRedactor;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.loadgen.workload.ChatBodies;
import io.tokentap.loadgen.workload.TokenText;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ShapeRedactorTest {

    static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void shapeKeepsStructureLengthsAndSharedPrefixesWithoutText() throws Exception {
        TokenText text = new TokenText();
        String system = text.text(40, 1);
        ObjectNode a = new ChatBodies(MAPPER).chat("m", 100);
        ChatBodies.addMessage(a, "system", system);
        ChatBodies.addMessage(a, "user", text.text(10, 2));
        ObjectNode b = new ChatBodies(MAPPER).chat("m", 100);
        ChatBodies.addMessage(b, "system", system);
        ChatBodies.addMessage(b, "user", text.text(30, 3));
        ShapeRedactor r = new ShapeRedactor(16);
        CaptureRecord.Shape sa = r.shape(a);
        CaptureRecord.Shape sb = r.shape(b);
        assertThat(sa.messages()).extracting(CaptureRecord.MessageShape::role).containsExactly("system", "user");
        assertThat(sa.messages()).extracting(CaptureRecord.MessageShape::tokens).containsExactly(40, 10);
        assertThat(sa.promptTokens()).isEqualTo(50);
        assertThat(sa.maxTokens()).isEqualTo(100);
        assertThat(sa.hashIds()).hasSize(4);        // 50 tokens in blocks of 16
        assertThat(sb.hashIds()).hasSize(5);        // 70 tokens
        // The 40-token system prompt fills two whole blocks: those ids agree, the third (mixed) block differs.
        assertThat(sb.hashIds().subList(0, 2)).isEqualTo(sa.hashIds().subList(0, 2));
        assertThat(sb.hashIds().get(2)).isNotEqualTo(sa.hashIds().get(2));
        assertThat(sa.hashIds()).allMatch(id -> id >= 0 && id <= ShapeRedactor.MASK_53);
        // No text survives, and the record round-trips through the reader.
        CaptureRecord rec = new CaptureRecord(1, 1_700_000_000_000_000L, "/v1/chat/completions", "m", null, "shape",
                null, sa, null);
        String json = MAPPER.writeValueAsString(rec);
        assertThat(json).doesNotContain(system.substring(0, 20));
        assertThat(MAPPER.readValue(json, CaptureRecord.class)).isEqualTo(rec);
    }

    @Test
    void hashesAreChained() {
        List<Long> x = ShapeRedactor.hashIds(new int[] {1, 2, 3, 4}, 2);
        List<Long> y = ShapeRedactor.hashIds(new int[] {9, 9, 3, 4}, 2);
        // The same second block after a different first one gets a different id.
        assertThat(x.get(1)).isNotEqualTo(y.get(1));
        assertThat(ShapeRedactor.hashIds(new int[] {1, 2, 3, 4}, 2)).isEqualTo(x);
    }
}
