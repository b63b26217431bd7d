package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.util.Arrays;

/**
 * Relays the frames of a chunked response body from the upstream to a chunked client as they came, past both HTTP
 * codecs: no decoded {@code HttpContent}, no copy into a new frame. A streamed event is one frame, so this is the
 * path nearly every relayed event takes.
 *
 * <p>It sits just before the codec of a pooled upstream connection, and the relay arms it for each request
 * ({@link #arm}). The read that follows must open with the response head: the head alone goes to the codec, which
 * decodes it for the relay as usual. If the relay then asks for the body ({@link #passBody}: a chunked body going
 * to a chunked client), the frames that follow are relayed from here. The codec, which saw only the head, waits at
 * a chunk boundary; from the first frame this handler does not take, it gets the rest of the response, and this
 * handler is off until the next request. A frame cut between reads is held (copied) until the read that completes
 * it, if it is at most {@link #MAX_HELD_BYTES} long: its event could not be used before that anyway. Not taken:
 * <ul>
 *   <li>the last chunk, with its trailers (the codec ends the body, so both codecs end in step);</li>
 *   <li>a frame longer than {@link #MAX_HELD_BYTES} cut between reads;</li>
 *   <li>a size line that is not plain hex ({@code 1a\r\n}), such as one with an extension.</li>
 * </ul>
 * A frame the usage filter changes (the proxy's usage chunk, or {@code "usage":null} on every chunk, as TGI and
 * OpenAI send once asked for usage) goes out filtered and framed again, as on the codec's path, and the frames
 * after it are relayed from here again.
 * Anything unusual thus meets the codec and the relay's usual checks. A read that does not open with a whole head
 * ({@code HTTP/1.x} ... empty line) goes to the codec as it is, and so does the body of any response the relay did
 * not ask for. {@code -Dtokentap.relay.framePassThrough=false} leaves this handler out.
 */
final class ChunkPassThrough extends ChannelInboundHandlerAdapter {

    static final String ENABLED_PROPERTY = "tokentap.relay.framePassThrough";
    /** The longest head looked for; longer ones go to the codec (its own limits are 4 KB line, 8 KB headers). */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    /** Size lines of at most this many hex digits (frames under 1 MiB; a read is smaller anyway). */
    private static final int MAX_SIZE_DIGITS = 5;
    /** A frame not whole in one read is held until it is, if it is at most this long; a longer one goes to the codec. */
    static final int MAX_HELD_BYTES = 16 * 1024;

    private enum State { OFF, HEAD, BODY }

    private final ReadStamp stamp;
    private State state = State.OFF;
    private boolean decodingHead;
    private ClientRelayHandler client;
    private Exchange exchange;
    /** The start of a frame whose end has not been read yet. */
    private ByteBuf held;
    /** The whole frames of the read being relayed, as pairs (data offset, data length). */
    private int[] frames = new int[32];

    ChunkPassThrough(ReadStamp stamp) {
        this.stamp = stamp;
    }

    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY));
    }

    /** A request was sent on this connection: its response head is the next thing to read. */
    void arm() {
        releaseHeld();
        state = State.HEAD;
        client = null;
        exchange = null;
    }

    /** The connection went back to the pool, or was given up: everything goes to the codec. */
    void off() {
        state = State.OFF;
        client = null;
        exchange = null;
        releaseHeld();
    }

    /** Called by the relay while the codec decodes the head: relay this response's body frames from here. */
    void passBody(ClientRelayHandler c, Exchange ex) {
        if (decodingHead) {
            client = c;
            exchange = ex;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.OFF || !(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.HEAD) {
            state = State.OFF;
            int headEnd = headEnd(in);
            if (headEnd < 0) {
                ctx.fireChannelRead(in);
                return;
            }
            ByteBuf head = in.retainedSlice(in.readerIndex(), headEnd - in.readerIndex());
            in.readerIndex(headEnd);
            decodingHead = true;
            try {
                ctx.fireChannelRead(head);
            } finally {
                decodingHead = false;
            }
            if (client == null) {
                passOn(ctx, in);
                return;
            }
            state = State.BODY;
        }
        relayFrames(ctx, in);
    }

    /**
     * Relays the whole frames at the start of {@code in}. A frame not whole yet, at the end, is held (copied) until
     * the reads that complete it; anything else goes to the codec with the rest of the response.
     */
    private void relayFrames(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf buf = in;
        if (held != null) {
            buf = held;
            held = null;
            try {
                BufferCopy.appendReadable(buf, in);
            } finally {
                in.release();
            }
        }
        int from = buf.readerIndex();
        int end = buf.writerIndex();
        int at = from;
        int count = 0;
        boolean wait = false;
        long nanos = stamp.lastReadNanos();
        try {
            while (at < end && state == State.BODY) {
                int lineEnd = buf.indexOf(at, Math.min(end, at + MAX_SIZE_DIGITS + 2), (byte) '\n');
                if (lineEnd < 0) {
                    wait = end - at < MAX_SIZE_DIGITS + 2 && sizeLineSoFar(buf, at, end);
                    break;
                }
                int size = size(buf, at, lineEnd);
                if (size <= 0) {
                    break; // the last chunk, or a size line not plain
                }
                int data = lineEnd + 1;
                int next = data + size + 2;
                if (next > end) {
                    wait = next - at <= MAX_HELD_BYTES;
                    break;
                }
                if (buf.getByte(next - 2) != '\r' || buf.getByte(next - 1) != '\n') {
                    break;
                }
                if (!client.passesUnchanged(exchange, buf, data, size)) {
                    // The usage filter changes this frame: what came before it goes out as it came, this one as
                    // the codec's path sends a read (filtered and framed again), and the frames after it as they
                    // come.
                    if (at > from) {
                        client.onUpstreamFrames(exchange, buf, from, at, frames, count, nanos);
                        count = 0;
                    }
                    client.onUpstreamContent(exchange, new DefaultHttpContent(buf.retainedSlice(data, size)), nanos);
                    at = next;
                    from = next;
                    continue;
                }
                if (2 * count + 2 > frames.length) {
                    frames = Arrays.copyOf(frames, frames.length * 2);
                }
                frames[2 * count] = data;
                frames[2 * count + 1] = size;
                count++;
                at = next;
            }
            if (at > from && state == State.BODY) {
                client.onUpstreamFrames(exchange, buf, from, at, frames, count, nanos);
            }
        } catch (RuntimeException e) {
            off();
            buf.release();
            throw e;
        }
        if (at == end) {
            buf.release();
        } else if (wait && state == State.BODY) {
            held = ctx.alloc().buffer(Math.max(256, 2 * (end - at)));
            BufferCopy.append(held, buf, at, end - at);
            buf.release();
        } else {
            // From a chunk boundary on, the codec reads the rest of the response.
            off();
            buf.readerIndex(at);
            ctx.fireChannelRead(buf);
        }
    }

    /** Whether {@code in[at, end)}, with no line end yet, can still become a plain size line. */
    private static boolean sizeLineSoFar(ByteBuf in, int at, int end) {
        for (int i = at; i < end; i++) {
            byte b = in.getByte(i);
            if (Character.digit(b, 16) < 0 && !(b == '\r' && i == end - 1 && i > at)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    private void releaseHeld() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    private static void passOn(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.isReadable()) {
            ctx.fireChannelRead(in);
        } else {
            in.release();
        }
    }

    /**
     * The end of the response head that {@code in} opens with (past its empty line), or -1 when {@code in} does not
     * open with {@code HTTP/1.} or the head does not end within it.
     */
    static int headEnd(ByteBuf in) {
        int at = in.readerIndex();
        int end = Math.min(in.writerIndex(), at + MAX_HEAD_BYTES);
        if (end - at < 8 || in.getByte(at) != 'H' || in.getByte(at + 1) != 'T' || in.getByte(at + 2) != 'T'
                || in.getByte(at + 3) != 'P' || in.getByte(at + 4) != '/' || in.getByte(at + 5) != '1'
                || in.getByte(at + 6) != '.') {
            return -1;
        }
        int i = at;
        while (true) {
            int nl = in.indexOf(i, end, (byte) '\n');
            if (nl < 0 || nl + 1 >= end) {
                return -1;
            }
            byte b = in.getByte(nl + 1);
            if (b == '\n') {
                return nl + 2;
            }
            if (b == '\r') {
                if (nl + 2 >= end) {
                    return -1;
                }
                if (in.getByte(nl + 2) == '\n') {
                    return nl + 3;
                }
            }
            i = nl + 1;
        }
    }

    /** The size of a plain size line {@code in[at, lineEnd]} ({@code <hex>\r\n}), or -1. */
    static int size(ByteBuf in, int at, int lineEnd) {
        int digitsEnd = lineEnd - 1;
        if (digitsEnd <= at || in.getByte(digitsEnd) != '\r' || digitsEnd - at > MAX_SIZE_DIGITS) {
            return -1;
        }
        int n = 0;
        for (int i = at; i < digitsEnd; i++) {
            int d = Character.digit(in.getByte(i), 16);
            if (d < 0) {
                return -1;
            }
            n = n * 16 + d;
        }
        return n;
    }
}
