package io.tokentap.proxy.protect;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.tokentap.net.Transports;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import io.tokentap.proxy.relay.ProxyServer;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Measures the proxy CPU one rejected request costs: a storm of keep-alive requests over real sockets against a
 * proxy whose tenant limit is 1 request per minute, so every request after the first is answered 429. The figure
 * is the CPU time of the proxy's event-loop threads (user and system, from {@link ThreadMXBean}) divided by the
 * requests, so it includes HTTP decoding, admission, the 429's encoding and the socket calls, and excludes the
 * client. {@code pipeline} is how many requests each client write carries (HTTP/1.1 pipelining, as a client in a
 * retry storm sends them; 1 means one request per write and per read). Not a unit test: run it with
 *
 * <pre>
 * mvn -B -q -pl proxy -am test-compile
 * java -cp "proxy/target/test-classes:proxy/target/classes:$(cat cp.txt)" io.tokentap.proxy.protect.RejectionCostBench [requests] [connections] [pipeline]
 * </pre>
 *
 * (cp.txt from {@code mvn -q -pl proxy dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class RejectionCostBench {

    private static final String BODY =
            "{\"model\":\"m\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final String REQUEST = "POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\n"
            + "Authorization: Bearer sk-bench\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length()
            + "\r\n\r\n" + BODY;

    private RejectionCostBench() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int pipeline = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        if (args.length > 4) {
            external(requests, connections, pipeline, args[3], Long.parseLong(args[4]));
            return;
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long workerThread = workers.submit(() -> Thread.currentThread().getId()).get();
        ProtectionConfig config = ProtectionConfig.defaults().withLimits(
                new ProtectionConfig.Limits(true, 1, 1_000_000, 16, 10_000, 100_000, Duration.ofMinutes(10)));
        Protection protection = new Protection(config, ProxyMetrics.NOOP, UpstreamSignals.NONE, "bench",
                System::nanoTime, new Random(), ForkJoinPool.commonPool(), UpstreamBreaker.Listener.NONE);
        // The upstream is never reached: every request is rejected before connecting.
        ProxyServer proxy = new ProxyServer(ProxyConfig.forUpstream("http://127.0.0.1:9"), ProxyMetrics.NOOP, boss,
                workers, protection);
        InetSocketAddress address = proxy.start();
        try {
            byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
            // Spend the tenant's one request of the minute, so that every request of the storm is rejected.
            protection.admission().tryAdmit(TenantResolver.hash("sk-bench"), 0L, t -> t).ticket().release(0);
            measure(Transports.name() + " transport, proxy event loop", address, request, requests, connections,
                    pipeline, () -> new long[] {threads.getThreadCpuTime(workerThread),
                            threads.getThreadUserTime(workerThread)});
        } finally {
            proxy.close();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * The same storm against another server (for comparison, e.g. nginx answering {@code return 429}); the CPU is
     * that of process {@code pid} (all its threads, user and system, from /proc), so run the server with one worker.
     */
    private static void external(int requests, int connections, int pipeline, String hostPort, long pid)
            throws Exception {
        int colon = hostPort.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1)));
        measure("process " + pid + " at " + hostPort, address, REQUEST.getBytes(StandardCharsets.US_ASCII), requests,
                connections, pipeline, () -> procCpu(pid));
    }

    /** CPU time used so far, {total, user} in nanoseconds. */
    private interface CpuClock {
        long[] read() throws Exception;
    }

    /** Warms up (JIT), then storms {@code requests} and prints the CPU per request that {@code clock} saw. */
    private static void measure(String what, InetSocketAddress address, byte[] request, int requests, int connections,
                                int pipeline, CpuClock clock) throws Exception {
        storm(address, request, Math.max(1000, requests / 10), connections, pipeline);
        long[] c0 = clock.read();
        long wall0 = System.nanoTime();
        int rejected = storm(address, request, requests, connections, pipeline);
        long wall = System.nanoTime() - wall0;
        long[] c1 = clock.read();
        long cpu = c1[0] - c0[0];
        long user = c1[1] - c0[1];
        System.out.printf("%s: %d requests (%d answered 429) over %d keep-alive connections, %d per write, in %.2f s"
                + " (%.0f req/s)%n", what, requests, rejected, connections, pipeline, wall / 1e9, requests / (wall / 1e9));
        System.out.printf("CPU per rejected request: %.2f us (user %.2f us, kernel %.2f us)%n",
                cpu / 1e3 / requests, user / 1e3 / requests, (cpu - user) / 1e3 / requests);
    }

    /** {total, user} CPU of a process in nanoseconds, from /proc (clock ticks: USER_HZ is 100 on Linux). */
    private static long[] procCpu(long pid) throws Exception {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long user = Long.parseLong(f[11]) * 10_000_000L;
        return new long[] {user + Long.parseLong(f[12]) * 10_000_000L, user};
    }

    private static int storm(InetSocketAddress address, byte[] request, int total, int connections, int pipeline)
            throws Exception {
        byte[] batch = new byte[request.length * pipeline];
        for (int i = 0; i < pipeline; i++) {
            System.arraycopy(request, 0, batch, i * request.length, request.length);
        }
        List<Thread> ts = new ArrayList<>();
        int[] rejected = new int[connections];
        for (int c = 0; c < connections; c++) {
            int idx = c;
            int writes = total / connections / pipeline;
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
                    throw new IllegalStateException(e);
                }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        int sum = 0;
        for (int r : rejected) {
            sum += r;
        }
        return sum;
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
        for (int i = 0; i < contentLength; i++) {
            if (in.read() < 0) {
                throw new IllegalStateException("connection closed");
            }
        }
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
