package io.tokentap.bench.reject;

import io.tokentap.bench.relay.Args;
import io.tokentap.bench.relay.RelayProbe;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The CPU one rejected request costs a running server: a storm of keep-alive requests over real sockets against a
 * proxy (or nginx) that answers every one of them 429, while the CPU of the server's process (all its threads, user
 * and system, from {@code /proc/PID/stat}: event loops, GC, JIT, timers alike) is read before and after. A warm-up
 * storm runs first, then {@code --rounds} measured storms, each printed, then the median:
 *
 * <pre>
 * java -cp tokentap-bench.jar io.tokentap.bench.reject.RejectionStorm --port 19301 --watch PID[,PID]
 *     [--requests 200000] [--warmup-requests 400000] [--rounds 3] [--connections 4] [--pipeline 1]
 * </pre>
 *
 * {@code --pipeline} is how many requests each client write carries (HTTP/1.1 pipelining, as a client in a retry
 * storm sends them; 1 means one request per write and per read). Prints {@code key=value} lines. A limit of one
 * request per minute lets one request through in each minute the storms last, so the exit code is 1 only when more
 * responses than that were not a 429.
 */
public final class RejectionStorm {

    private static final String BODY =
            "{\"model\":\"m\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final String REQUEST = "POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\n"
            + "Authorization: Bearer sk-bench\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length()
            + "\r\n\r\n" + BODY;

    private RejectionStorm() {
    }

    public static void main(String[] args) throws Exception {
        Args a = new Args(args);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", a.intValue("--port", 19301));
        int requests = a.intValue("--requests", 200_000);
        int warmup = a.intValue("--warmup-requests", 2 * requests);
        int rounds = a.intValue("--rounds", 3);
        int connections = a.intValue("--connections", 4);
        int pipeline = a.intValue("--pipeline", 1);
        List<Integer> watch = new ArrayList<>();
        for (String p : a.value("--watch", "").split(",")) {
            if (!p.isBlank()) {
                watch.add(Integer.parseInt(p.trim()));
            }
        }
        if (watch.isEmpty()) {
            throw new IllegalArgumentException("--watch PID[,PID] (expected: the server's processes)");
        }
        byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        // One request first: a proxy spends the tenant's single request of the minute on it.
        storm(address, request, 1, 1, 1);
        storm(address, request, warmup, connections, pipeline);
        double[] perRequest = new double[rounds];
        long others = 0;
        // What a storm sends: whole writes of the pipeline on every connection.
        int sent = requests / connections / pipeline * connections * pipeline;
        for (int r = 0; r < rounds; r++) {
            long[] c0 = RelayProbe.cpuTicks(watch);
            long wall0 = System.nanoTime();
            int rejected = storm(address, request, requests, connections, pipeline);
            double wall = (System.nanoTime() - wall0) / 1e9;
            long[] c1 = RelayProbe.cpuTicks(watch);
            others += sent - rejected;
            // Ticks are 1/100 s: 10,000 µs each.
            double user = (c1[0] - c0[0]) * 10_000.0 / sent;
            double sys = (c1[1] - c0[1]) * 10_000.0 / sent;
            perRequest[r] = user + sys;
            System.out.printf(Locale.ROOT, "round=%d requests=%d answered_429=%d req_per_s=%.0f cpu_us=%.2f "
                    + "cpu_user_us=%.2f cpu_sys_us=%.2f%n", r + 1, sent, rejected, sent / wall, user + sys, user, sys);
        }
        double[] sorted = perRequest.clone();
        Arrays.sort(sorted);
        long minutes = (System.nanoTime() - start) / 60_000_000_000L + 1;
        boolean ok = others <= minutes;
        System.out.printf(Locale.ROOT, "cpu_us_median=%.2f%ncpu_us_min=%.2f%ncpu_us_max=%.2f%nnot_429=%d%nminutes=%d%n"
                + "rejected_ok=%s%n", sorted[rounds / 2], sorted[0], sorted[rounds - 1], others, minutes, ok);
        System.exit(ok ? 0 : 1);
    }

    /** Sends {@code total} requests over {@code connections} connections; returns how many were answered 429. */
    private static int storm(InetSocketAddress address, byte[] request, int total, int connections, int pipeline)
            throws Exception {
        byte[] batch = new byte[request.length * pipeline];
        for (int i = 0; i < pipeline; i++) {
            System.arraycopy(request, 0, batch, i * request.length, request.length);
        }
        int writes = Math.max(1, total / connections / pipeline);
        List<Thread> ts = new ArrayList<>();
        int[] rejected = new int[connections];
        Exception[] failed = new Exception[connections];
        for (int c = 0; c < connections; c++) {
            int idx = c;
            Thread t = new Thread(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(address);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                    for (int i = 0; i < writes; i++) {
                        out.write(batch);
                        out.flush();
                        for (int k = 0; k < pipeline; k++) {
                            if (readResponse(in) == 429) {
                                rejected[idx]++;
                            }
                        }
                    }
                } catch (Exception e) {
                    failed[idx] = e;
                }
            }, "storm-" + c);
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        for (Exception e : failed) {
            if (e != null) {
                throw e;
            }
        }
        return Arrays.stream(rejected).sum();
    }

    /** Reads one response with a Content-Length body; returns its status. */
    private static int readResponse(InputStream in) throws Exception {
        String status = line(in);
        int contentLength = 0;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                contentLength = Integer.parseInt(h.substring(15).strip());
            }
        }
        in.skipNBytes(contentLength);
        return Integer.parseInt(status.substring(9, 12));
    }

    private static String line(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IllegalStateException("connection closed");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
