package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ModelPeekTest {

    private static final JsonFactory JSON = new JsonFactory();

    private static String peek(String body, int limit, int sliceBytes) {
        ModelPeek p = new ModelPeek(JSON, limit);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length && !p.done(); i += sliceBytes) {
            ByteBuf b = Unpooled.wrappedBuffer(bytes, i, Math.min(sliceBytes, bytes.length - i));
            int before = b.readerIndex();
            p.feed(b);
            assertThat(b.readerIndex()).isEqualTo(before);
        }
        p.end();
        return p.model();
    }

    @Test
    void findsTopLevelModelInAnySplit() {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"model\\\"\",\"model\":\"inner\"}],"
                + "\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"stream\":true}";
        for (int slice = 1; slice <= body.length(); slice++) {
            assertThat(peek(body, 65536, slice)).as("slice %d", slice).isEqualTo("meta-llama/Llama-3.1-8B-Instruct");
        }
    }

    @Test
    void givesUpBeyondTheLimitOrOnNonJson() {
        String late = "{\"messages\":\"" + "x".repeat(5000) + "\",\"model\":\"late\"}";
        assertThat(peek(late, 1024, 100)).isNull();
        assertThat(peek(late, 65536, 700)).isEqualTo("late");
        assertThat(peek("model=abc", 1024, 3)).isNull();
        assertThat(peek("[{\"model\":\"x\"}]", 1024, 3)).isNull();
        assertThat(peek("{\"model\":42}", 1024, 3)).isNull();
        assertThat(peek("{\"model\":\"x\"}", 0, 3)).isNull();
    }

    @Test
    void requestsPeekedInTurnOnOneThreadDoNotMixTheirBytes() {
        // Every peek on a thread shares one scratch array: each slice must be parsed before the next request's
        // slice overwrites it, whatever the split.
        String a = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(6000) + "\"}],\"model\":\"model-a\"}";
        String b = "{\"model_x\":\"no\",\"messages\":\"" + "b".repeat(9000) + "\",\"model\":\"model-b\"}";
        for (int slice : new int[] {1, 7, 100, 4095, 4096, 4097, 5000}) {
            ModelPeek pa = new ModelPeek(JSON, 65536);
            ModelPeek pb = new ModelPeek(JSON, 65536);
            byte[] ba = a.getBytes(StandardCharsets.UTF_8);
            byte[] bb = b.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < Math.max(ba.length, bb.length); i += slice) {
                if (i < ba.length) {
                    pa.feed(Unpooled.wrappedBuffer(ba, i, Math.min(slice, ba.length - i)));
                }
                if (i < bb.length) {
                    pb.feed(Unpooled.wrappedBuffer(bb, i, Math.min(slice, bb.length - i)));
                }
            }
            pa.end();
            pb.end();
            assertThat(pa.model()).as("slice %d", slice).isEqualTo("model-a");
            assertThat(pb.model()).as("slice %d", slice).isEqualTo("model-b");
        }
    }
}
