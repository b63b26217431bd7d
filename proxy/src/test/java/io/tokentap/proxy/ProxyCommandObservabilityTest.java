package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(10)
class ProxyCommandObservabilityTest {

    @Test
    void adminAndScraperFlags() {
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs("--upstream", "http://127.0.0.1:8000", "--admin", "0.0.0.0:9100",
                "--drain-timeout", "3s", "--scrape-url", "http://127.0.0.1:8001/metrics",
                "--dcgm-url", "http://127.0.0.1:9400/metrics", "--scrape-interval", "2s");
        ProxyConfig c = cmd.config();
        assertThat(c.admin().listen().toString()).isEqualTo("0.0.0.0:9100");
        assertThat(c.admin().drainTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.scraper().enabled()).isTrue();
        assertThat(c.scraper().metricsUrl()).isEqualTo(URI.create("http://127.0.0.1:8001/metrics"));
        assertThat(c.scraper().dcgmUrl()).isEqualTo(URI.create("http://127.0.0.1:9400/metrics"));
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
}
