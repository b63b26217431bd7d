package io.tokentap.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TransportsTest {

    @Test
    void thePropertyNamesTheTransportAndAnUnknownNameIsRefusedWithTheChoices() {
        assertThat(Transports.kind("nio")).isEqualTo(Transports.Kind.NIO);
        assertThat(Transports.kind(" NIO ")).isEqualTo(Transports.Kind.NIO);
        assertThat(Transports.kind("epoll")).isEqualTo(Epoll.isAvailable() ? Transports.Kind.EPOLL : Transports.Kind.NIO);
        assertThat(Transports.kind("")).isEqualTo(Transports.kind("epoll"));
        assertThatThrownBy(() -> Transports.kind("kqueue"))
                .isInstanceOf(Transports.UnusableTransportException.class)
                .hasMessage("tokentap.transport must be epoll, io_uring or nio, not 'kqueue'");
    }

    @Test
    void ioUringIsGivenWhereTheKernelAllowsItAndRefusedWithTheReasonWhereItDoesNot() {
        if (IoUring.isAvailable()) {
            assertThat(Transports.kind("io_uring")).isEqualTo(Transports.Kind.IO_URING);
        } else {
            assertThatThrownBy(() -> Transports.kind("io_uring"))
                    .isInstanceOf(Transports.UnusableTransportException.class)
                    .hasMessageContaining("io_uring is not available here");
        }
    }

    /** Each transport that runs here carries bytes both ways between a server and a client built from its group. */
    @ParameterizedTest
    @EnumSource(Transports.Kind.class)
    void eachTransportThatRunsHereEchoesOverItsOwnChannelClasses(Transports.Kind kind) throws Exception {
        assumeTrue(kind != Transports.Kind.EPOLL || Epoll.isAvailable(), "epoll is not available here");
        assumeTrue(kind != Transports.Kind.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
        String before = System.getProperty(Transports.PROPERTY);
        System.setProperty(Transports.PROPERTY, kind.name().toLowerCase(java.util.Locale.ROOT));
        EventLoopGroup group;
        try {
            assertThat(Transports.name()).isEqualTo(kind.name().toLowerCase(java.util.Locale.ROOT));
            group = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        } finally {
            if (before == null) {
                System.clearProperty(Transports.PROPERTY);
            } else {
                System.setProperty(Transports.PROPERTY, before);
            }
        }
        try {
            assertThat(Transports.serverChannel(group).getSimpleName()).startsWith(prefix(kind));
            assertThat(Transports.socketChannel(group).getSimpleName()).startsWith(prefix(kind));
            Channel server = new ServerBootstrap().group(group).channel(Transports.serverChannel(group))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            CompletableFuture<String> echoed = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(Transports.socketChannel(group))
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                final StringBuilder got = new StringBuilder();

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf b = (ByteBuf) msg;
                                    got.append(b.toString(StandardCharsets.US_ASCII));
                                    b.release();
                                    if (got.length() >= 5) {
                                        echoed.complete(got.toString());
                                    }
                                }
                            });
                        }
                    })
                    .connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
            assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("hello");
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static String prefix(Transports.Kind kind) {
        return switch (kind) {
            case EPOLL -> "Epoll";
            case IO_URING -> "IoUring";
            case NIO -> "Nio";
        };
    }
}
