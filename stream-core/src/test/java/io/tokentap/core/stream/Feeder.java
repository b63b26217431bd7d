package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/** Feeds a body to a decoder in slices. Slice i is fed at time i + 1; end() at slices + 1. */
final class Feeder {

    private Feeder() {
    }

    /** Decodes the body cut at the given (ascending) positions, from heap buffers with non-zero reader indices. */
    static RecordingSink decode(WireFormat format, byte[] body, int... cuts) {
        return decode(format, body, true, cuts);
    }

    static RecordingSink decode(WireFormat format, byte[] body, boolean wantText, int... cuts) {
        RecordingSink sink = new RecordingSink(wantText);
        StreamDecoder d = format.newDecoder(sink);
        ByteBuf whole = Unpooled.wrappedBuffer(body);
        int from = 0;
        long t = 1;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : body.length;
            // The slice is the readable part of a buffer over the whole body: indices are not 0.
            whole.setIndex(from, to);
            d.feed(whole, t++);
            assertThat(whole.readerIndex()).as("reader index after feed").isEqualTo(from);
            assertThat(whole.writerIndex()).as("writer index after feed").isEqualTo(to);
            from = to;
        }
        d.end(t);
        assertThat(whole.refCnt()).isEqualTo(1);
        sink.malformed = d.malformedCount();
        return sink;
    }

    static RecordingSink decode(WireFormat format, String body, int... cuts) {
        return decode(format, body.getBytes(StandardCharsets.UTF_8), cuts);
    }

    /** Decodes from pooled direct buffers, one per slice, each released after its feed. */
    static RecordingSink decodePooled(WireFormat format, byte[] body, int... cuts) {
        RecordingSink sink = new RecordingSink(true);
        StreamDecoder d = format.newDecoder(sink);
        int from = 0;
        long t = 1;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : body.length;
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(to - from + 8);
            try {
                buf.writeZero(3).writeBytes(body, from, to - from).skipBytes(3);
                int ri = buf.readerIndex();
                d.feed(buf, t++);
                assertThat(buf.readerIndex()).isEqualTo(ri);
                assertThat(buf.refCnt()).isEqualTo(1);
            } finally {
                buf.release();
            }
            from = to;
        }
        d.end(t);
        sink.malformed = d.malformedCount();
        return sink;
    }

    /** Up to {@code maxCuts} distinct ascending random cut positions in (0, length). */
    static int[] randomCuts(Random random, int length, int maxCuts) {
        if (length < 2) {
            return new int[0];
        }
        int n = 1 + random.nextInt(Math.max(1, maxCuts));
        int[] cuts = random.ints(n, 1, length).sorted().distinct().toArray();
        return Arrays.copyOf(cuts, cuts.length);
    }
}
