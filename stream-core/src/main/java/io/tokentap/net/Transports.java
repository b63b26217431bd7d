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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;

/**
 * Picks Netty's transport. Epoll (Linux) is the default where its native library loads: it reads and writes
 * sockets with fewer copies and wake-ups than NIO, and its timers fire to the microsecond where NIO's selector
 * sleeps in whole milliseconds. {@code -Dtokentap.transport=io_uring} opts in to io_uring: one system call submits
 * a loop's reads and writes and collects their completions, which more than halves the CPU of a rejected request
 * when many connections are busy (docs/benchmarks.md), but Netty's io_uring transport is younger than its epoll one
 * and container runtimes often forbid its system calls; asked for where the kernel refuses it, it is an error, not a
 * silent fallback. {@code -Dtokentap.transport=nio} forces NIO (to compare, or to rule the native transports out).
 * Channel classes are chosen from the event loop group they run on, so code given a NIO group (tests, embedders)
 * keeps working with NIO channels.
 */
public final class Transports {

    /** The system property that chooses a transport: {@code epoll} (the default), {@code io_uring} or {@code nio}. */
    public static final String PROPERTY = "tokentap.transport";

    /** The transports, in the order the property names them. */
    public enum Kind { EPOLL, IO_URING, NIO }

    /** The property names no transport, or one this machine cannot run; the message says which and why. */
    public static final class UnusableTransportException extends RuntimeException {
        UnusableTransportException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Transports() {
    }

    /**
     * The transport the property asks for, as it runs here: epoll falls back to NIO where its native library does
     * not load (not Linux, or an unsupported CPU); io_uring does not fall back.
     *
     * @throws UnusableTransportException when the property names no transport, or names io_uring and this kernel
     *     or its sandbox refuses it
     */
    public static Kind kind() {
        return kind(System.getProperty(PROPERTY, "epoll"));
    }

    static Kind kind(String property) {
        String wanted = property.strip().toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case "epoll", "" -> Epoll.isAvailable() ? Kind.EPOLL : Kind.NIO;
            case "io_uring", "io-uring", "iouring" -> {
                if (!IoUring.isAvailable()) {
                    throw new UnusableTransportException(PROPERTY + "=io_uring, but io_uring is not available here ("
                            + IoUring.unavailabilityCause() + "); use epoll, the default", IoUring.unavailabilityCause());
                }
                yield Kind.IO_URING;
            }
            case "nio" -> Kind.NIO;
            default -> throw new UnusableTransportException(
                    PROPERTY + " must be epoll, io_uring or nio, not '" + property + "'", null);
        };
    }

    /** True when the epoll transport is both wanted and available. */
    public static boolean epoll() {
        return kind() == Kind.EPOLL;
    }

    /** The transport's name, for logs: {@code epoll}, {@code io_uring} or {@code nio}. */
    public static String name() {
        return kind().name().toLowerCase(Locale.ROOT);
    }

    /** The I/O handler factory of the chosen transport. */
    public static IoHandlerFactory ioHandlerFactory() {
        return switch (kind()) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    /** The server socket channel class that runs on {@code group}. */
    public static Class<? extends ServerChannel> serverChannel(EventLoopGroup group) {
        return switch (kindOf(group)) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /** The client socket channel class that runs on {@code group}. */
    public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
        return switch (kindOf(group)) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    /**
     * Prints the transport that a name (or, with none, the property) gives on this machine, or why it cannot run here
     * (exit status 1): {@code java -cp tokentap.jar io.tokentap.net.Transports io_uring}.
     */
    public static void main(String[] args) {
        try {
            System.out.println((args.length > 0 ? kind(args[0]) : kind()).name().toLowerCase(Locale.ROOT));
        } catch (UnusableTransportException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    private static Kind kindOf(EventLoopGroup group) {
        if (group.next() instanceof IoEventLoop loop) {
            if (loop.isIoType(EpollIoHandler.class)) {
                return Kind.EPOLL;
            }
            if (loop.isIoType(IoUringIoHandler.class)) {
                return Kind.IO_URING;
            }
        }
        return Kind.NIO;
    }
}
