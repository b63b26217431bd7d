package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(10)
class ProxyCommandTest {

    private final StringWriter err = new StringWriter();

    private CommandLine cli(ProxyCommand cmd) {
        CommandLine cl = new CommandLine(cmd);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl;
    }

    @Test
    void flagsOverrideTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, "server:\n  listen: 0.0.0.0:7000\nupstream:\n  url: http://127.0.0.1:8000\n"
                + "log:\n  requests: false\n");
        ProxyCommand cmd = new ProxyCommand();
        cli(cmd).parseArgs("--config", file.toString(), "--listen", "127.0.0.1:7001", "--log-requests",
                "--max-connections", "7", "--connect-timeout", "2s");
        ProxyConfig c = cmd.config();
        assertThat(c.server().listen().toString()).isEqualTo("127.0.0.1:7001");
        assertThat(c.upstream().url().toString()).isEqualTo("http://127.0.0.1:8000");
        assertThat(c.upstream().maxConnections()).isEqualTo(7);
        assertThat(c.protection().timeouts().connect().toMillis()).isEqualTo(2000);
        assertThat(c.upstream().connectTimeout().toMillis()).isEqualTo(2000);
        assertThat(c.log().requests()).isTrue();
    }

    @Test
    void badSettingFailsAtStartUpNamingTheFlag() {
        int code = cli(new ProxyCommand()).execute("--upstream", "http://127.0.0.1:8000", "--write-buffer-high", "lots");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("invalid configuration: flag --write-buffer-high: "
                + "relay.writeBufferHighBytes: 'lots' (expected: a size in bytes");
    }

    @Test
    void badFileSettingNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8000\n  maxPendingAcquires: 0\n");
        int code = cli(new ProxyCommand()).execute("--config", file.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains(file + " line 3: upstream.maxPendingAcquires: 0 (expected: > 0)");
    }

    @Test
    void missingUpstreamIsReported() {
        int code = cli(new ProxyCommand()).execute("--listen", "127.0.0.1:0");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("upstream.url: missing");
    }
}
