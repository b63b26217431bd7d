package io.tokentap.proxy.protect;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import io.tokentap.proxy.relay.ProxyServer;
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
 * client. Not a unit test: run it with
 *
 * <pre>
 * mvn -B -q -pl proxy -am test-compile
 * java -cp "proxy/target/test-classes:proxy/target/classes:$(cat cp.txt)" io.tokentap.proxy.protect.RejectionCostBench [requests] [connections]
 * </pre>
 *
 * (cp.txt from {@code mvn -q -pl proxy dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class RejectionCostBench {

    private RejectionCostBench() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
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
            String body = "{\"model\":\"m\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
            byte[] request = ("POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer sk-bench"
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII);
            // Spend the tenant's one request of the minute, so that every request of the storm is rejected.
            protection.admission().tryAdmit(TenantResolver.hash("sk-bench"), 0L, t -> t).ticket().release(0);
            storm(address, request, Math.max(1000, requests / 10), connections); // warm-up (JIT)
            long cpu0 = threads.getThreadCpuTime(workerThread);
            long user0 = threads.getThreadUserTime(workerThread);
            long wall0 = System.nanoTime();
            int rejected = storm(address, request, requests, connections);
            long wall = System.nanoTime() - wall0;
            long cpu = threads.getThreadCpuTime(workerThread) - cpu0;
            long user = threads.getThreadUserTime(workerThread) - user0;
            System.out.printf("%d requests (%d answered 429) over %d keep-alive connections in %.2f s (%.0f req/s)%n",
                    requests, rejected, connections, wall / 1e9, requests / (wall / 1e9));
            System.out.printf("proxy event-loop CPU per rejected request: %.2f us (user %.2f us, kernel %.2f us)%n",
                    cpu / 1e3 / requests, user / 1e3 / requests, (cpu - user) / 1e3 / requests);
        } finally {
            proxy.close();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static int storm(InetSocketAddress address, byte[] request, int total, int connections)
            throws Exception {
        List<Thread> ts = new ArrayList<>();
        int[] rejected = new int[connections];
        for (int c = 0; c < connections; c++) {
            int idx = c;
            int n = total / connections;
            Thread t = new Thread(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(address);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    for (int i = 0; i < n; i++) {
                        out.write(request);
                        out.flush();
                        if (readResponse(in, buf) == 429) {
                            rejected[idx]++;
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
    private static int readResponse(InputStream in, byte[] buf) throws Exception {
        int len = 0;
        int headerEnd = -1;
        while (headerEnd < 0) {
            int r = in.read(buf, len, buf.length - len);
            if (r < 0) {
                throw new IllegalStateException("connection closed");
            }
            len += r;
            headerEnd = indexOf(buf, len);
        }
        String head = new String(buf, 0, headerEnd, StandardCharsets.US_ASCII);
        int status = Integer.parseInt(head.substring(9, 12));
        int cl = head.toLowerCase().indexOf("content-length: ");
        int contentLength = Integer.parseInt(head.substring(cl + 16, head.indexOf('\r', cl)));
        int have = len - headerEnd - 4;
        while (have < contentLength) {
            int r = in.read(buf, 0, Math.min(buf.length, contentLength - have));
            if (r < 0) {
                throw new IllegalStateException("connection closed");
            }
            have += r;
        }
        return status;
    }

    private static int indexOf(byte[] b, int len) {
        for (int i = 0; i + 3 < len; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
