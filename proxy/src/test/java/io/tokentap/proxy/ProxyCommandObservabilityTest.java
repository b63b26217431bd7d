package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(10)
class ProxyCommandObservabilityTest {

    @Test
    void adminAndScraperFlags() {
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--upstream", "http://127.0.0.1:8000", "--admin", "0.0.0.0:9100",
                "--scrape-url", "http://127.0.0.1:8001/metrics",
                "--dcgm-url", "http://127.0.0.1:9400/metrics", "--dcgm-pod", "vllm-0", "--scrape-interval", "2s");
        ProxyConfig c = cmd.config();
        assertThat(c.admin().listen().toString()).isEqualTo("0.0.0.0:9100");
        assertThat(c.scraper().enabled()).isTrue();
        assertThat(c.scraper().metricsUrl()).isEqualTo(URI.create("http://127.0.0.1:8001/metrics"));
        assertThat(c.scraper().dcgmUrl()).isEqualTo(URI.create("http://127.0.0.1:9400/metrics"));
        assertThat(c.scraper().dcgmPod()).isEqualTo("vllm-0");
        assertThat(c.scraper().interval()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void scrapingCanBeSwitchedOff() {
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--upstream", "http://127.0.0.1:8000", "--no-scrape");
        assertThat(cmd.config().scraper().enabled()).isFalse();
    }

    @Test
    void aBadAdminAddressNamesTheFlag() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ProxyCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute("--upstream", "http://127.0.0.1:8000", "--admin", "9464");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("flag --admin: admin.listen: '9464'");
    }

    @Test
    void metricsAndScrapeTimingFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, """
                upstream:
                  url: http://127.0.0.1:8000
                metrics:
                  models: [from-the-file]
                  window: 30s
                scraper:
                  timeout: 500ms
                """);
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--config", file.toString(), "--models", "llama-3-8b,qwen-2.5-7b",
                "--metrics-window", "2m", "--tenant-label", "--tenant-top-n", "5",
                "--scrape-timeout", "300ms", "--scrape-stale-after", "10s",
                "--node-header", "x-stage", "--nodes", "router,generator", "--node-limit", "4");
        ProxyConfig c = cmd.config();
        assertThat(c.metrics().nodeHeader()).isEqualTo("x-stage");
        assertThat(c.metrics().nodes()).containsExactly("router", "generator");
        assertThat(c.metrics().nodeLimit()).isEqualTo(4);
        assertThat(c.metrics().models()).as("a flag wins over the file").containsExactly("llama-3-8b", "qwen-2.5-7b");
        assertThat(c.metrics().window()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.metrics().tenantLabel()).isTrue();
        assertThat(c.metrics().tenantTopN()).isEqualTo(5);
        assertThat(c.scraper().timeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.scraper().staleAfter()).isEqualTo(Duration.ofSeconds(10));

        ProxyCommand fileOnly = new ProxyCommand();
        new CommandLine(fileOnly).parseArgs("--config", file.toString());
        assertThat(fileOnly.config().metrics().models()).containsExactly("from-the-file");
        assertThat(fileOnly.config().metrics().window()).isEqualTo(Duration.ofSeconds(30));
        assertThat(fileOnly.config().metrics().nodeHeader()).isEqualTo("x-tokentap-node");

        ProxyCommand off = new ProxyCommand();
        new CommandLine(off).parseArgs("--config", file.toString(), "--node-header=");
        assertThat(off.config().metrics().nodeLabel()).as("an empty header switches the node label off").isFalse();
    }

    @Test
    void aBadMetricsWindowFailsAtStartUp() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ProxyCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute("--upstream", "http://127.0.0.1:8000", "--metrics-window", "1s");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("invalid configuration: flag --metrics-window: metrics.window: PT1S"
                + " (expected: 6s to 1h)");
    }
}
