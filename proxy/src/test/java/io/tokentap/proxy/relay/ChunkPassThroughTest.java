package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ChunkPassThrough} against the codec's path. A raw upstream writes chunked SSE responses cut into random
 * pieces (mid-head, mid-size-line, mid-frame), with now and then a chunk extension, upper-case or zero-padded hex,
 * an event split over frames, trailers, the usage chunk the proxy asked for, or a body that ends early. The same
 * responses go through a proxy with the pass-through and one without: the client must get the same head and the
 * same body, and the proxy must measure the same. A plain response whose frames each come in a read of their own
 * must reach the client framed exactly as the upstream framed it (the pass-through was taken), and the frames a
 * usage filter did not change must keep their framing even after frames it did.
 */
@Timeout(180)
class ChunkPassThroughTest {

    private static final int CASES = Integer.getInteger("tokentap.fuzz.runs", 60);

    static EventLoopGroup boss;
    static EventLoopGroup workers;

    @BeforeAll
    static void loops() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A response as the upstream writes it: pieces, each flushed, with a pause between them. */
    record Response(List<byte[]> pieces, boolean truncated) { }

    /**
     * A blocking upstream that answers each request on a connection with the next scripted response, byte for
     * byte, then keeps the connection (or closes it, when the response is cut short).
     */
    static final class RawUpstream implements AutoCloseable {
        final ServerSocket server;
        final AtomicReference<Response> next = new AtomicReference<>();
        private final Thread acceptor;

        RawUpstream() throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::accept, "raw-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "raw-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (readRequest(in)) {
                    Response r = next.get();
                    for (byte[] piece : r.pieces) {
                        out.write(piece);
                        out.flush();
                        // Paced like a server streaming events, so that pieces mostly arrive as reads of their own.
                        Thread.sleep(2);
                    }
                    if (r.truncated) {
                        return;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the connection is done
            }
        }

        /** Reads one request (head and Content-Length body); false at the end of the connection. */
        private static boolean readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                    String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase();
                    int at = text.indexOf("content-length:");
                    int len = at < 0 ? 0 : Integer.parseInt(text.substring(at + 15, text.indexOf('\r', at)).trim());
                    in.readNBytes(len);
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n";

    private static final String UNFRAMED_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Connection: close\r\n\r\n";

    /** A body's events: OpenAI chat chunks, with {@code "usage":null} on each when {@code usageNull}. */
    private static List<String> events(Random r, boolean usageNull, boolean usageChunk) {
        List<String> ev = new ArrayList<>();
        String u = usageNull ? ",\"usage\":null" : "";
        ev.add("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]" + u + "}\n\n");
        int n = 1 + r.nextInt(12);
        for (int i = 0; i < n; i++) {
            String text = r.nextInt(8) == 0 ? "caf\u00e9 \\\"q\\\" \ud83d\ude00" : "tok" + i;
            ev.add("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                    + "{\"content\":\"" + text + "\"},\"finish_reason\":null}]" + u + "}\n\n");
        }
        ev.add("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]" + u + "}\n\n");
        if (usageChunk) {
            ev.add("data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":" + n
                    + ",\"total_tokens\":" + (9 + n) + "}}\n\n");
        }
        ev.add("data: [DONE]\n\n");
        return ev;
    }

    /** The events framed as chunks (one event a frame, several, or an event over several frames). */
    private static byte[] body(Random r, List<String> events, boolean odd, boolean truncated) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] all = String.join("", events).getBytes(StandardCharsets.UTF_8);
        List<Integer> cuts = new ArrayList<>();
        int at = 0;
        for (String e : events) {
            at += e.getBytes(StandardCharsets.UTF_8).length;
            cuts.add(at);
        }
        int from = 0;
        int i = 0;
        while (from < all.length) {
            int to;
            switch (odd ? r.nextInt(3) : 0) {
                case 1 -> to = cuts.get(Math.min(cuts.size() - 1, i + 1 + r.nextInt(3))); // several events
                case 2 -> to = Math.min(all.length, from + 1 + r.nextInt(40)); // part of an event
                default -> to = cuts.get(i);
            }
            while (i < cuts.size() && cuts.get(i) <= to) {
                i++;
            }
            if (to <= from) {
                to = cuts.get(Math.min(i, cuts.size() - 1));
            }
            String hex = Integer.toHexString(to - from);
            if (!odd && !truncated) {
                // As no re-framing would write it: only a frame relayed as it came keeps this size line.
                hex = "0" + hex.toUpperCase();
            } else if (odd && r.nextInt(10) == 0) {
                hex = hex.toUpperCase();
            }
            if (odd && r.nextInt(10) == 0) {
                hex = "00" + hex;
            }
            if (odd && r.nextInt(15) == 0) {
                hex = hex + ";ext=1";
            }
            out.writeBytes((hex + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(all, from, to - from);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            from = to;
            if (truncated && r.nextInt(4) == 0) {
                return out.toByteArray();
            }
        }
        if (truncated) {
            return out.toByteArray();
        }
        out.writeBytes((odd && r.nextInt(4) == 0 ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static List<byte[]> cut(Random r, byte[] all, boolean framesApart, int bodyFrom) {
        List<byte[]> pieces = new ArrayList<>();
        if (framesApart) {
            // The head alone, then each frame alone.
            pieces.add(java.util.Arrays.copyOfRange(all, 0, bodyFrom));
            int at = bodyFrom;
            while (at < all.length) {
                int lineEnd = indexOf(all, at, (byte) '\n');
                int size = Integer.parseInt(new String(all, at, lineEnd - 1 - at, StandardCharsets.US_ASCII), 16);
                int end = size == 0 ? all.length : lineEnd + 1 + size + 2;
                pieces.add(java.util.Arrays.copyOfRange(all, at, end));
                at = end;
            }
            return pieces;
        }
        int at = 0;
        while (at < all.length) {
            int n = r.nextInt(3) == 0 ? 1 + r.nextInt(8) : 1 + r.nextInt(400);
            int end = Math.min(all.length, at + n);
            pieces.add(java.util.Arrays.copyOfRange(all, at, end));
            at = end;
        }
        return pieces;
    }

    private static int indexOf(byte[] b, int from, byte v) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    /** What a client and the proxy's metrics saw of one exchange; the framing may differ between the paths. */
    record Seen(String head, boolean complete, String measured) { }

    /** What the client read after the head, byte for byte (as ISO-8859-1). */
    record Result(Seen seen, String rawBody) { }

    @Test
    void thePassThroughGivesTheClientAndTheMetricsWhatTheCodecPathGives() throws Exception {
        long seed = Long.getLong("tokentap.fuzz.seed", System.nanoTime());
        Random master = new Random(seed);
        try (RawUpstream up = new RawUpstream()) {
            ProxyServer with = null;
            ProxyServer without = null;
            try {
                RecordingMetrics withMetrics = new RecordingMetrics();
                RecordingMetrics withoutMetrics = new RecordingMetrics();
                System.clearProperty(ChunkPassThrough.ENABLED_PROPERTY);
                with = proxy(up, withMetrics);
                InetSocketAddress withAddress = with.start();
                InetSocketAddress withoutAddress;
                System.setProperty(ChunkPassThrough.ENABLED_PROPERTY, "false");
                try {
                    without = proxy(up, withoutMetrics);
                    withoutAddress = without.start();
                } finally {
                    System.clearProperty(ChunkPassThrough.ENABLED_PROPERTY);
                }
                int exact = 0;
                int changedThenPassed = 0;
                for (int c = 0; c < CASES; c++) {
                    long caseSeed = master.nextLong();
                    Random r = new Random(caseSeed);
                    boolean plain = c % 3 == 0;
                    // Now and then an unframed body (ended by the close) that looks like chunk frames, each in a
                    // read of its own: not the pass-through's to take.
                    boolean unframed = !plain && c % 10 == 1;
                    boolean odd = !plain && !unframed && r.nextBoolean();
                    // The proxy asks for usage and filters it out; every sixth case with "usage":null on every
                    // chunk and plain framing, every other plain one without, so that each check below has cases.
                    boolean injected = c % 6 == 0 || (c % 6 != 3 && r.nextBoolean());
                    boolean usageNull = injected && (c % 6 == 0 || r.nextInt(3) == 0);
                    boolean truncated = !plain && !unframed && r.nextInt(8) == 0;
                    byte[] body = body(r, events(r, usageNull, injected || r.nextBoolean()), odd, truncated);
                    String head = unframed ? UNFRAMED_HEAD : HEAD;
                    byte[] all = concat(head.getBytes(StandardCharsets.US_ASCII), body);
                    List<byte[]> pieces = cut(r, all, plain || unframed, head.length());
                    up.next.set(new Response(pieces, truncated || unframed));
                    String request = "{\"model\":\"m\",\"stream\":true,"
                            + (injected ? "" : "\"stream_options\":{\"include_usage\":true},")
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                    String context = "case seed " + caseSeed + " (master " + seed + ")";
                    Result a = exchange(withAddress, request, withMetrics);
                    Result b = exchange(withoutAddress, request, withoutMetrics);
                    assertThat(a.seen).as(context).isEqualTo(b.seen);
                    if (plain && !injected) {
                        // Each frame came in a read of its own and needed no change: relayed as framed.
                        assertThat(a.rawBody).as(context).isEqualTo(new String(body, StandardCharsets.ISO_8859_1));
                        exact++;
                    }
                    if (plain && usageNull) {
                        // Every chunk before it was changed by the usage filter; the end marker was not, and is
                        // still relayed as the upstream framed it (zero-padded, upper-case size).
                        assertThat(a.rawBody).as(context).contains("\r\n0E\r\ndata: [DONE]\n\n\r\n");
                        changedThenPassed++;
                    }
                }
                assertThat(exact).isPositive();
                assertThat(changedThenPassed).isPositive();
            } finally {
                if (with != null) {
                    with.close();
                }
                if (without != null) {
                    without.close();
                }
            }
        }
    }

    /** A proxy with the default protection, which asks the upstream for usage (and filters it out). */
    private static ProxyServer proxy(RawUpstream up, RecordingMetrics metrics) {
        Protection protection = new Protection(ProtectionConfig.defaults(), metrics, UpstreamSignals.NONE, "upstream",
                System::nanoTime, new Random(3), Runnable::run, UpstreamBreaker.Listener.NONE);
        return new ProxyServer(ProxyConfig.forUpstream(up.url()), metrics, boss, workers, new WireFormatTap(1 << 20),
                RequestLog.NONE, protection);
    }

    private static Result exchange(InetSocketAddress proxy, String request, RecordingMetrics metrics)
            throws Exception {
        try (RawClient client = new RawClient(proxy)) {
            client.socket.setSoTimeout(10_000);
            client.write(RawClient.post("/v1/chat/completions", request));
            Thread reader = client.readInBackground(4096);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2))
                    .until(() -> client.eof || ended(bytes(client)));
            client.close();
            reader.join(2000);
            String text = bytes(client);
            int headEnd = text.indexOf("\r\n\r\n");
            String head = headEnd < 0 ? text : text.substring(0, headEnd);
            String rawBody = headEnd < 0 ? "" : text.substring(headEnd + 4);
            RecordingMetrics.Finished f = metrics.finished.poll(10, TimeUnit.SECONDS);
            assertThat(f).as("the exchange was measured").isNotNull();
            RequestTimeline t = f.timeline();
            String measured = "outcome " + t.outcome() + ", content " + t.contentEvents() + ", tokens "
                    + t.outputTokens() + ", usage " + t.usage() + ", done " + t.sawDone() + ", stream error "
                    + t.streamError() + " | " + dechunk(rawBody);
            return new Result(new Seen(head.replaceAll("(?i)\r\ndate: [^\r]*", ""), ended(text), measured),
                    rawBody);
        }
    }

    private static boolean ended(String text) {
        return text.endsWith("\r\n0\r\n\r\n") || text.endsWith("\r\n0\r\nX-Trailer: t\r\n\r\n");
    }

    /** Everything the client read so far, one char per byte. */
    private static String bytes(RawClient client) {
        StringBuilder sb = new StringBuilder();
        for (RawClient.Read r : client.reads) {
            sb.append(r.text());
        }
        return sb.toString();
    }

    /** The data of a chunked body, as far as it goes, and how it ended. */
    private static String dechunk(String raw) {
        StringBuilder sb = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = raw.indexOf("\r\n", at);
            if (lineEnd < 0) {
                return sb + " [cut in a size line]";
            }
            String line = raw.substring(at, lineEnd);
            int semi = line.indexOf(';');
            int size = Integer.parseInt(semi < 0 ? line : line.substring(0, semi), 16);
            if (size == 0) {
                return sb + " [end]";
            }
            if (lineEnd + 2 + size > raw.length()) {
                return sb + raw.substring(lineEnd + 2) + " [cut in a frame]";
            }
            sb.append(raw, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = new byte[a.length + b.length];
        System.arraycopy(a, 0, o, 0, a.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }
}
