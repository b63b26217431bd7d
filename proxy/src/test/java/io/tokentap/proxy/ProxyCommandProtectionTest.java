package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(10)
class ProxyCommandProtectionTest {

    @Test
    void everyProtectionFlagReachesTheConfig() {
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--upstream", "http://127.0.0.1:8000",
                "--tenant-header", "x-tenant-id", "--per-tenant-limits", "--requests-per-minute", "60",
                "--tokens-per-minute", "50000", "--streams-per-tenant", "4", "--max-streams", "500",
                "--max-request-body", "1MiB", "--no-inject-usage",
                "--shed", "--shed-kv-cache-on", "0.9", "--shed-kv-cache-off", "0.8", "--shed-queue-on", "32",
                "--shed-queue-off", "8", "--max-retries", "0", "--retry-budget", "3s",
                "--no-breaker", "--breaker-failure-rate", "25", "--breaker-wait", "30s",
                "--first-byte-timeout", "30s", "--stream-idle-timeout", "15s", "--total-timeout", "5m");
        ProtectionConfig p = cmd.config().protection();
        assertThat(p.tenants().header()).isEqualTo("x-tenant-id");
        assertThat(p.limits().perTenant()).isTrue();
        assertThat(p.limits().requestsPerMinute()).isEqualTo(60);
        assertThat(p.limits().tokensPerMinute()).isEqualTo(50_000);
        assertThat(p.limits().concurrentStreamsPerTenant()).isEqualTo(4);
        assertThat(p.limits().maxStreamsInFlight()).isEqualTo(500);
        assertThat(p.maxRequestBodyBytes()).isEqualTo(1 << 20);
        assertThat(p.injectUsage()).isFalse();
        assertThat(p.shedding().enabled()).isTrue();
        assertThat(p.shedding().kvCacheOn()).isEqualTo(0.9);
        assertThat(p.shedding().kvCacheOff()).isEqualTo(0.8);
        assertThat(p.shedding().queueOn()).isEqualTo(32);
        assertThat(p.shedding().queueOff()).isEqualTo(8);
        assertThat(p.retry().maxRetries()).isZero();
        assertThat(p.retry().budget()).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.breaker().enabled()).isFalse();
        assertThat(p.breaker().failureRateThreshold()).isEqualTo(25f);
        assertThat(p.breaker().waitInOpen()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.timeouts().firstByte()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.timeouts().idle()).isEqualTo(Duration.ofSeconds(15));
        assertThat(p.timeouts().total()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aFlagWinsOverTheFileAndTheRestOfTheFileStays(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, """
                upstream:
                  url: http://127.0.0.1:8000
                protection:
                  limits:
                    perTenant: true
                    requestsPerMinute: 100
                    tokensPerMinute: 7000
                """);
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--config", file.toString(), "--requests-per-minute", "5");
        ProxyConfig c = cmd.config();
        assertThat(c.protection().limits().requestsPerMinute()).isEqualTo(5);
        assertThat(c.protection().limits().tokensPerMinute()).isEqualTo(7000);
        assertThat(c.protection().limits().perTenant()).isTrue();
        ProxyCommand defaults = new ProxyCommand();
        new CommandLine(defaults).parseArgs("--upstream", "http://127.0.0.1:8000");
        assertThat(defaults.config().protection()).isEqualTo(ProtectionConfig.defaults());
    }

    @Test
    void aBadProtectionFlagNamesTheFlagAndExits2() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ProxyCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute("--upstream", "http://127.0.0.1:8000", "--requests-per-minute", "lots");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("flag --requests-per-minute: protection.limits.requestsPerMinute: 'lots'"
                + " (expected: an integer)");
    }

    @Test
    void helpListsTheProtectionFlags() {
        String help = new CommandLine(new ProxyCommand()).getUsageMessage();
        assertThat(help).contains("--requests-per-minute=N", "--[no-]shed", "--total-timeout=DURATION",
                "requestsPerMinute; default 600");
    }
}
