package io.tokentap.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ProxyConfigTest {

    private static ProxyConfig parse(String yaml) {
        return ProxyConfig.from(ConfigLoader.parse(yaml, "proxy.yaml"));
    }

    @Test
    void readsEverySection() {
        ProxyConfig c = parse("""
                server:
                  listen: 127.0.0.1:9090
                  maxHeaderBytes: 32KiB
                  eventLoops: 3
                upstream:
                  url: http://10.0.0.5:8000/base/
                  maxConnections: 64
                  acquireTimeout: PT2S
                relay:
                  writeBufferLowBytes: 16k
                  writeBufferHighBytes: 1MiB
                  preserveHost: yes
                log:
                  requests: true
                protection:
                  timeouts:
                    connect: 250ms
                """);
        assertThat(c.server().listen()).isEqualTo(new HostPort("127.0.0.1", 9090));
        assertThat(c.server().maxHeaderBytes()).isEqualTo(32 * 1024);
        assertThat(c.server().eventLoopCount()).isEqualTo(3);
        assertThat(c.upstream().host()).isEqualTo("10.0.0.5");
        assertThat(c.upstream().port()).isEqualTo(8000);
        assertThat(c.upstream().pathPrefix()).isEqualTo("/base");
        assertThat(c.upstream().maxConnections()).isEqualTo(64);
        assertThat(c.protection().timeouts().connect()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.upstream().connectTimeout()).as("what the upstream pool connects with")
                .isEqualTo(Duration.ofMillis(250));
        assertThat(c.upstream().acquireTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.relay().writeBufferLowBytes()).isEqualTo(16 * 1024);
        assertThat(c.relay().writeBufferHighBytes()).isEqualTo(1024 * 1024);
        assertThat(c.relay().preserveHost()).isTrue();
        assertThat(c.relay().readBufferBytes()).isEqualTo(RelayConfig.defaults().readBufferBytes());
        assertThat(c.log().requests()).isTrue();
    }

    @Test
    void theExampleConfigInTheRepositoryIsValid() {
        Path example = Path.of("..", "config", "proxy.yaml");
        ProxyConfig c = ProxyConfig.load(example, Map.of());
        assertThat(c.upstream().url().toString()).isEqualTo("http://127.0.0.1:8000");
        assertThat(c.server().listen().port()).isEqualTo(8080);
    }

    @Test
    void unknownKeyIsRejectedByNameWithItsLine() {
        assertThatThrownBy(() -> parse("""
                upstream:
                  url: http://127.0.0.1:8000
                  maxConection: 5
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("proxy.yaml line 3")
                .hasMessageContaining("upstream.maxConection: unknown setting")
                .hasMessageContaining("maxConnections");
    }

    @Test
    void unknownSectionIsRejected() {
        assertThatThrownBy(() -> parse("upstream:\n  url: http://127.0.0.1:8000\nlimitz:\n  rate: 5\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("proxy.yaml line 3: limitz: unknown setting");
    }

    @Test
    void invalidValueNamesFileLineFieldAndExpectation() {
        assertThatThrownBy(() -> parse("upstream:\n  url: http://127.0.0.1:8000\n  maxConnections: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("proxy.yaml line 3: upstream.maxConnections: 0 (expected: > 0)");
        assertThatThrownBy(() -> parse("upstream:\n  url: http://127.0.0.1:8000\nprotection:\n  timeouts:\n"
                + "    connect: soon\n"))
                .hasMessageContaining("proxy.yaml line 5: protection.timeouts.connect: 'soon' (expected: a duration");
        // One connect timeout, with the other three request timeouts: the old upstream key says where it went.
        assertThatThrownBy(() -> parse("upstream:\n  url: http://127.0.0.1:8000\n  connectTimeout: 2s\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("proxy.yaml line 3: upstream.connectTimeout: 2s (expected: no such setting here; the "
                        + "connect timeout is protection.timeouts.connect, or --connect-timeout)");
        assertThatThrownBy(() -> parse("upstream:\n  url: https://api.example.test\n"))
                .hasMessageContaining("proxy.yaml line 2: upstream.url: https://api.example.test (expected: an http://");
        assertThatThrownBy(() -> parse("server:\n  eventLoops: -1\nupstream:\n  url: http://h:1\n"))
                .hasMessage("proxy.yaml line 2: server.eventLoops: -1 (expected: 0 for one per processor, or 1 to 1024)");
        assertThatThrownBy(() -> parse("server:\n  listen: localhost\nupstream:\n  url: http://h:1\n"))
                .hasMessageContaining("proxy.yaml line 2: server.listen: 'localhost' (expected: HOST:PORT");
    }

    @Test
    void crossFieldRuleNamesTheField() {
        assertThatThrownBy(() -> parse("""
                upstream: {url: "http://127.0.0.1:8000"}
                relay:
                  writeBufferLowBytes: 64KiB
                  writeBufferHighBytes: 32KiB
                """))
                .hasMessage("proxy.yaml line 4: relay.writeBufferHighBytes: 32768 (expected: >= writeBufferLowBytes,"
                        + " 65536)");
    }

    @Test
    void missingUpstreamSaysHowToSetIt() {
        assertThatThrownBy(() -> parse("server:\n  listen: 127.0.0.1:1\n"))
                .hasMessageContaining("upstream.url: missing")
                .hasMessageContaining("--upstream");
    }

    @Test
    void flagWinsOverFileAndIsNamedInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8000\n  maxConnections: 8\n");
        ProxyConfig c = ProxyConfig.load(file, Map.of(
                "upstream.url", new ProxyConfig.Setting("http://127.0.0.1:9000", "flag --upstream")));
        assertThat(c.upstream().port()).isEqualTo(9000);
        assertThat(c.upstream().maxConnections()).isEqualTo(8);

        assertThatThrownBy(() -> ProxyConfig.load(file, Map.of(
                "upstream.maxConnections", new ProxyConfig.Setting("-1", "flag --max-connections"))))
                .hasMessage("flag --max-connections: upstream.maxConnections: -1 (expected: > 0)");
    }

    @Test
    void malformedYamlAndWrongShapesFailClearly(@TempDir Path dir) {
        assertThatThrownBy(() -> parse("upstream: [1, 2\n")).hasMessageContaining("proxy.yaml: not valid YAML");
        assertThatThrownBy(() -> parse("- a\n- b\n")).hasMessageContaining("must be a mapping");
        assertThatThrownBy(() -> parse("upstream: http://x:1\n"))
                .hasMessageContaining("proxy.yaml line 1: upstream: a value (expected: a section");
        assertThatThrownBy(() -> parse("upstream:\n  url: http://x:1\n  url: http://y:1\n"))
                .hasMessageContaining("duplicate");
        assertThatThrownBy(() -> ProxyConfig.load(dir.resolve("missing.yaml"), Map.of()))
                .hasMessageContaining("missing.yaml: cannot read");
    }

    @Test
    void emptyFileMeansDefaults() {
        ConfigNode root = ConfigLoader.parse("", "empty.yaml");
        root.override("upstream.url", "http://127.0.0.1:8000", "flag --upstream");
        ProxyConfig c = ProxyConfig.from(root);
        assertThat(c.server()).isEqualTo(ServerConfig.defaults());
        assertThat(c.relay()).isEqualTo(RelayConfig.defaults());
    }
}
