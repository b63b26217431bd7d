package io.tokentap.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Locale;

/**
 * Picks Netty's transport. Epoll (Linux) is the default where its native library loads: it reads and writes
 * sockets with fewer copies and wake-ups than NIO, and its timers fire to the microsecond where NIO's selector
 * sleeps in whole milliseconds. {@code -Dtokentap.transport=nio} forces NIO (to compare, or to rule the native
 * transport out). Channel classes are chosen from the event loop group they run on, so code given a NIO group (tests,
 * embedders) keeps working with NIO channels.
 */
public final class Transports {

    /** The system property that forces a transport: {@code epoll} or {@code nio}. */
    public static final String PROPERTY = "tokentap.transport";

    private Transports() {
    }

    /** True when the epoll transport is both wanted and available. */
    public static boolean epoll() {
        String wanted = System.getProperty(PROPERTY, "epoll").strip().toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case "nio" -> false;
            case "epoll", "" -> Epoll.isAvailable();
            default -> throw new IllegalArgumentException(PROPERTY + " must be epoll or nio, not '" + wanted + "'");
        };
    }

    /** The transport's name, for logs: {@code epoll} or {@code nio}. */
    public static String name() {
        return epoll() ? "epoll" : "nio";
    }

    /** The I/O handler factory of the preferred transport. */
    public static IoHandlerFactory ioHandlerFactory() {
        return epoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** The server socket channel class that runs on {@code group}. */
    public static Class<? extends ServerChannel> serverChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The client socket channel class that runs on {@code group}. */
    public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    private static boolean isEpoll(EventLoopGroup group) {
        return group.next() instanceof IoEventLoop loop && loop.isIoType(EpollIoHandler.class);
    }
}
