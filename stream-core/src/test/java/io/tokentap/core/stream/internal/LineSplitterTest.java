package io.tokentap.core.stream.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LineSplitterTest {

    private final List<String> lines = new ArrayList<>();

    private LineSplitter splitter(int max) {
        return new LineSplitter(max, (b, len, nanos) -> lines.add(new String(b, 0, len, StandardCharsets.UTF_8)));
    }

    private static ByteBuf buf(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void lfCrlfAndCrEndLinesAndACrlfSplitAcrossReadsIsOneEnd() {
        LineSplitter s = splitter(100);
        s.feed(buf("a\nb\r"), 1);
        s.feed(buf("\nc\rd\r\n\r"), 2);
        s.feed(buf("e"), 3);
        s.finish(4);
        assertThat(lines).containsExactly("a", "b", "c", "d", "", "e");
    }

    @Test
    void anOversizedLineIsDroppedAndTheMemoryGivenBack() {
        LineSplitter s = splitter(1 << 20);
        byte[] slab = new byte[64 * 1024];
        Arrays.fill(slab, (byte) 'x');
        for (int i = 0; i < 32; i++) { // 2 MiB, no line end
            s.feed(Unpooled.wrappedBuffer(slab), i);
            assertThat(s.capacity()).as("held bytes stay under the cap").isLessThanOrEqualTo(1 << 20);
        }
        assertThat(s.capacity()).as("nothing is held while skipping").isLessThanOrEqualTo(64 * 1024);
        s.feed(buf("\nok\n"), 99);
        assertThat(lines).containsExactly("ok");
        assertThat(s.oversizedLines()).isEqualTo(1);
    }

    @Test
    void aLongLineWithinTheCapIsKeptThenTheBufferShrinks() {
        LineSplitter s = splitter(1 << 20);
        String longLine = "y".repeat(500_000);
        s.feed(buf(longLine), 1);
        assertThat(s.capacity()).isGreaterThanOrEqualTo(500_000);
        s.feed(buf("\n"), 2);
        assertThat(lines).containsExactly(longLine);
        assertThat(s.capacity()).isLessThanOrEqualTo(64 * 1024);
    }
}
