package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChunkFramingTest {

    /** The framing is byte for byte what Netty's encoder writes for the same chunk, at every size of the hex line. */
    @Test
    void framesAChunkAsNettysEncoderDoes() {
        for (int n : new int[] {1, 9, 15, 16, 255, 256, 4095, 4096, 65_535, 65_536, 1_000_003}) {
            byte[] bytes = new byte[n];
            for (int i = 0; i < n; i++) {
                bytes[i] = (byte) ('a' + i % 26);
            }
            ByteBuf content = Unpooled.wrappedBuffer(bytes);
            ByteBuf framed = ChunkFraming.frame(ByteBufAllocator.DEFAULT, content);
            assertThat(content.readableBytes()).as("the content is left as it is").isEqualTo(n);
            assertThat(framed.toString(StandardCharsets.ISO_8859_1)).as("%d bytes", n).isEqualTo(encoded(bytes));
            framed.release();
            content.release();
        }
    }

    @Test
    void refusesAnEmptyChunk() {
        assertThatThrownBy(() -> ChunkFraming.frame(ByteBufAllocator.DEFAULT, Unpooled.EMPTY_BUFFER))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String encoded(byte[] bytes) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpResponseEncoder());
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ch.writeOutbound(head);
        ByteBuf h = ch.readOutbound();
        h.release();
        ch.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        ch.finishAndReleaseAll();
        return sb.toString();
    }
}
