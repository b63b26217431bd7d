package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.tokentap.proxy.metrics.ProxyMetrics;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The upstream handler on its own: what it does with a pooled connection that no request holds. */
@Timeout(10)
class UpstreamRelayHandlerTest {

    private static EmbeddedChannel idleConnection() {
        ReadStamp stamp = new ReadStamp();
        return new EmbeddedChannel(stamp, new UpstreamRelayHandler(stamp, new RelayErrors(ProxyMetrics.NOOP), null));
    }

    @Test
    void bytesOnAnIdleConnectionAreReleasedAndTheConnectionClosed() {
        EmbeddedChannel ch = idleConnection();
        ByteBuf stray = Unpooled.copiedBuffer("data: late\n\n", StandardCharsets.UTF_8);
        ch.writeInbound(new DefaultHttpContent(stray));
        assertThat(stray.refCnt()).isZero();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void idleTimeoutClosesOnlyAnUnusedConnection() {
        EmbeddedChannel ch = idleConnection();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void readStampTakesTheTimeOfEachRead() {
        ReadStamp stamp = new ReadStamp();
        EmbeddedChannel ch = new EmbeddedChannel(stamp);
        long before = System.nanoTime();
        ch.writeInbound(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        assertThat(stamp.lastReadNanos()).isBetween(before, System.nanoTime());
        ByteBuf passed = ch.readInbound();
        passed.release();
        ch.finishAndReleaseAll();
    }
}
