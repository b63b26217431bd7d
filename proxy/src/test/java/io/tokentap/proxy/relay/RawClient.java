package io.tokentap.proxy.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A deliberately plain HTTP client over a socket: it writes the bytes it is given and records every read with its
 * {@code System.nanoTime()}, so tests see exactly what the proxy sent and when, chunk framing included.
 */
final class RawClient implements AutoCloseable {

    /** One socket read. */
    record Read(long nanos, String text) { }

    final Socket socket;
    final List<Read> reads = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    volatile boolean eof;
    volatile long eofNanos;

    RawClient(InetSocketAddress proxy) throws IOException {
        this(proxy, -1);
    }

    RawClient(InetSocketAddress proxy, int receiveBufferBytes) throws IOException {
        socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.setTcpNoDelay(true);
        socket.connect(proxy, 2000);
    }

    static String post(String path, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: test.local\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    void write(String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads on a background thread until EOF or the socket is closed. */
    Thread readInBackground(int chunkBytes) {
        Thread t = new Thread(() -> {
            try {
                while (readOnce(chunkBytes) >= 0) {
                    // keep reading
                }
            } catch (IOException e) {
                eof = true;
                eofNanos = System.nanoTime();
            }
        }, "raw-client-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** One blocking read of at most {@code max} bytes; -1 at EOF. */
    int readOnce(int max) throws IOException {
        byte[] buf = new byte[max];
        InputStream in = socket.getInputStream();
        int n;
        try {
            n = in.read(buf);
        } catch (SocketTimeoutException e) {
            return 0;
        }
        long now = System.nanoTime();
        if (n < 0) {
            eof = true;
            eofNanos = now;
            return -1;
        }
        synchronized (all) {
            all.write(buf, 0, n);
        }
        reads.add(new Read(now, new String(buf, 0, n, StandardCharsets.ISO_8859_1)));
        return n;
    }

    String text() {
        synchronized (all) {
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    /** The first read whose accumulated text contains {@code s}, or -1. */
    long nanosWhenSeen(String s) {
        StringBuilder sb = new StringBuilder();
        for (Read r : reads) {
            sb.append(r.text);
            if (sb.indexOf(s) >= 0) {
                return r.nanos;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
