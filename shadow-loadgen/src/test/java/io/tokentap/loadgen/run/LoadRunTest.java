package io.tokentap.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.loadgen.exec.ExecutorSettings;
import io.tokentap.loadgen.exec.LoadExecutor;
import io.tokentap.loadgen.exec.RequestBodies;
import io.tokentap.loadgen.exec.Target;
import io.tokentap.loadgen.plan.ClientSpec;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.Slo;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.testing.ScriptedUpstream;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.WorkloadLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;

@Timeout(60)
class LoadRunTest {

    @TempDir
    Path dir;

    @Test
    void interruptEndsTheRunWithAPartialReport() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        EventLoopGroup conns = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup disp = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ScriptedUpstream up = new ScriptedUpstream()) {
            up.ttftMillis = 5;
            up.itlMillis = 50;   // long streams: some are running when the run is interrupted
            Plan plan = new Plan("long", List.of(StageSpec.closed("c3", 3, Duration.ofSeconds(30)),
                    StageSpec.closed("never", 3, Duration.ofSeconds(30))), Duration.ofMinutes(5), 1_000_000, 1,
                    Slo.NONE, ClientSpec.DEFAULT, null, null);
            LoadExecutor ex = new LoadExecutor(new ExecutorSettings(Target.parse(up.url()), plan.client(),
                    new RequestBodies(mapper, false), System::nanoTime), conns, disp.next());
            List<String> progress = new CopyOnWriteArrayList<>();
            LoadRun run = new LoadRun(plan, new WorkloadLoader(mapper, new TokenText(), s -> { })
                    .defaultSynthetic("m", 1), ex, System::nanoTime, dir, mapper, progress::add, false, 1);
            CompletableFuture<RunResult> f = CompletableFuture.supplyAsync(() -> {
                try {
                    return run.run(up.url());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(10, TimeUnit.SECONDS).until(() -> up.requests.get() >= 3);
            long t = System.nanoTime();
            run.interrupt();
            RunResult r = f.get(20, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - t) / 1e9).isLessThan(10);
            assertThat(r.partial()).isTrue();
            assertThat(r.stopReason()).isEqualTo("interrupted");
            assertThat(r.stages()).hasSize(1);
            assertThat(r.stages().get(0).count(RequestOutcome.CLIENT_CANCEL)).isGreaterThanOrEqualTo(1);
            assertThat(progress.get(0)).startsWith("stage 1/2 c3");
            RunResult written = new ResultsJson(mapper).read(dir.resolve("results.json"));
            assertThat(written.partial()).isTrue();
            assertThat(written.stages().get(0).requests()).isEqualTo(r.stages().get(0).requests());
        } finally {
            conns.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            disp.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
