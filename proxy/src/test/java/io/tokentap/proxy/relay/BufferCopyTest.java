package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class BufferCopyTest {

    private static final byte[] TEXT =
            "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"}}],\"usage\":null}\n\n".getBytes(StandardCharsets.UTF_8);

    /** Every kind of buffer the relay meets: heap, direct, the adaptive allocator's, a slice of one, a composite. */
    private static List<Supplier<ByteBuf>> sources() {
        List<Supplier<ByteBuf>> kinds = new ArrayList<>();
        kinds.add(() -> Unpooled.wrappedBuffer(TEXT.clone()));
        kinds.add(() -> Unpooled.directBuffer(TEXT.length).writeBytes(TEXT));
        kinds.add(() -> ByteBufAllocator.DEFAULT.directBuffer(TEXT.length).writeBytes(TEXT));
        kinds.add(() -> {
            ByteBuf whole = ByteBufAllocator.DEFAULT.directBuffer(TEXT.length + 20).writeZero(10).writeBytes(TEXT)
                    .writeZero(10);
            ByteBuf slice = whole.retainedSlice(10, TEXT.length);
            whole.release();
            return slice;
        });
        kinds.add(() -> {
            CompositeByteBuf c = Unpooled.compositeBuffer();
            c.addComponent(true, Unpooled.wrappedBuffer(TEXT, 0, 7));
            c.addComponent(true, Unpooled.directBuffer().writeBytes(TEXT, 7, TEXT.length - 7));
            return c;
        });
        return kinds;
    }

    private static List<Supplier<ByteBuf>> targets() {
        return List.of(() -> Unpooled.buffer(4), () -> Unpooled.directBuffer(4),
                () -> ByteBufAllocator.DEFAULT.directBuffer(4), () -> ByteBufAllocator.DEFAULT.heapBuffer(4));
    }

    @Test
    void appendCopiesTheSameBytesAsWriteBytesWithoutMovingTheSource() {
        for (Supplier<ByteBuf> source : sources()) {
            for (Supplier<ByteBuf> target : targets()) {
                ByteBuf src = source.get();
                ByteBuf ours = target.get().writeByte('x');
                ByteBuf netty = Unpooled.buffer().writeByte('x');
                try {
                    BufferCopy.append(ours, src, src.readerIndex() + 6, 20);
                    netty.writeBytes(src, src.readerIndex() + 6, 20);
                    assertThat(ByteBufUtil.equals(ours, netty)).as("%s into %s", src, ours).isTrue();
                    assertThat(ours.toString(StandardCharsets.UTF_8)).isEqualTo("x{\"choices\":[{\"delta\"");
                    assertThat(src.readerIndex()).as("the source's reader index").isZero();
                    assertThat(src.readableBytes()).isEqualTo(TEXT.length);
                } finally {
                    src.release();
                    ours.release();
                    netty.release();
                }
            }
        }
    }

    @Test
    void appendReadableTakesWhatIsReadableAndMarksItRead() {
        for (Supplier<ByteBuf> source : sources()) {
            for (Supplier<ByteBuf> target : targets()) {
                ByteBuf src = source.get();
                src.skipBytes(6);
                ByteBuf out = target.get();
                try {
                    BufferCopy.appendReadable(out, src);
                    assertThat(out.toString(StandardCharsets.UTF_8))
                            .isEqualTo(new String(TEXT, 6, TEXT.length - 6, StandardCharsets.UTF_8));
                    assertThat(src.isReadable()).isFalse();
                    assertThat(out.capacity()).isGreaterThanOrEqualTo(TEXT.length - 6);
                } finally {
                    src.release();
                    out.release();
                }
            }
        }
    }
}
