package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.config.ConfigLoader;
import io.tokentap.proxy.config.ConfigNode;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.metrics.ModelPrice;
import io.tokentap.proxy.upstream.ScraperConfig;
import io.tokentap.proxy.upstream.UpstreamScraper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import io.tokentap.testing.KubeManifests;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The deployment files (docker/, grafana-dashboards/) against the code: the Kubernetes manifests rendered by
 * {@code kubectl kustomize} and parsed with the fabric8 API model (unknown fields fail), the ports, paths and config
 * keys they use, the Dockerfile's and compose file's paths and arguments, and every metric name that a dashboard or
 * alert rule queries.
 */
@Timeout(60)
class DeploymentFilesTest {

    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final ObjectMapper JSON = new ObjectMapper();
    static Set<String> exported;

    /** Every sample name the proxy can export, from a registry with every meter exercised. */
    @BeforeAll
    static void exportedNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MetricsConfig priced = new MetricsConfig(List.of(), Map.of("other", new ModelPrice(1, 2)),
                MetricsConfig.DEFAULT.window(), false, 1);
        MicrometerProxyMetrics m = new MicrometerProxyMetrics(registry, priced, System::nanoTime);
        ScheduledExecutorService unused = Executors.newSingleThreadScheduledExecutor();
        try {
            new UpstreamScraper(ScraperConfig.DEFAULT, URI.create("http://127.0.0.1:1"), unused, System::nanoTime,
                    registry);
        } finally {
            unused.shutdownNow();
        }
        m.requestStarted("/v1/chat/completions", "x");
        RequestTimeline t = new RequestTimeline(0, m.intervals("/v1/chat/completions", "x"));
        t.content(1_000_000, ContentKind.TEXT, 1, "a");
        t.content(2_000_000, ContentKind.TEXT, 1, "b");
        t.usage(2_000_000, new Usage(10, 2, 1, 1));
        t.end(3_000_000, Outcome.OK);
        m.requestFinished("/v1/chat/completions", "x", t);
        m.rejected("/v1/chat/completions", "x", "shed");
        m.relayError("upstream", "reset");
        exported = PromTextParser.parse(registry.scrape()).samples().stream().map(s -> s.name())
                .filter(n -> n.startsWith("tokentap_")).collect(Collectors.toCollection(TreeSet::new));
    }

    static String read(String relative) throws IOException {
        return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
    }

    static Set<String> metricNames(String text) {
        Matcher m = Pattern.compile("\\btokentap_[a-z0-9_]+").matcher(text);
        Set<String> names = new TreeSet<>();
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    // ---- dashboards and rules ----------------------------------------------------------------------------

    @Test
    void dashboardsAreGrafanaJsonWithTheVariablesAndQueryOnlyExportedMetrics() throws IOException {
        Set<String> uids = new TreeSet<>();
        for (String file : List.of("grafana-dashboards/llm-service.json", "grafana-dashboards/capacity.json")) {
            JsonNode d = JSON.readTree(read(file));
            assertThat(d.path("schemaVersion").asInt()).as(file).isGreaterThanOrEqualTo(36);
            assertThat(d.path("uid").asText()).as(file).matches("[a-z0-9-]{1,40}");
            uids.add(d.path("uid").asText());
            Map<String, String> vars = new HashMap<>();
            d.path("templating").path("list").forEach(v -> vars.put(v.path("name").asText(), v.path("type").asText()));
            assertThat(vars).as(file).containsEntry("datasource", "datasource")
                    .containsKeys("namespace", "pod", "model");
            List<String> exprs = new ArrayList<>();
            Set<Integer> ids = new TreeSet<>();
            for (JsonNode p : d.path("panels")) {
                assertThat(ids.add(p.path("id").asInt())).as(file + " panel ids unique").isTrue();
                if (p.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
                assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
                p.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
            }
            assertThat(exprs).as(file).allSatisfy(e -> assertThat(e).isNotBlank());
            Set<String> used = metricNames(String.join("\n", exprs));
            assertThat(exported).as(file + " queries only metrics the proxy exports").containsAll(used);
            assertThat(String.join("\n", exprs)).contains("histogram_quantile");
        }
        assertThat(uids).hasSize(2);
        // The LLM service dashboard covers what an on-call engineer needs.
        String svc = read("grafana-dashboards/llm-service.json");
        assertThat(metricNames(svc)).contains("tokentap_ttft_seconds_bucket", "tokentap_ttft_window_seconds",
                "tokentap_itl_seconds_bucket", "tokentap_tpot_seconds_bucket", "tokentap_ttft_p99_p50_ratio",
                "tokentap_requests_total", "tokentap_tokens_total", "tokentap_streams_in_flight",
                "tokentap_upstream_kv_cache_usage_ratio", "tokentap_upstream_requests_waiting",
                "tokentap_gpu_utilization_ratio", "tokentap_gpu_memory_used_bytes", "tokentap_gpu_power_watts",
                "tokentap_cost_dollars_total");
    }

    @Test
    void alertRulesQueryOnlyExportedMetrics() throws IOException {
        Set<String> used = metricNames(read("grafana-dashboards/alerts/tokentap-rules.yaml"));
        assertThat(used).isNotEmpty();
        assertThat(exported).containsAll(used);
    }

    // ---- Dockerfile and compose -----------------------------------------------------------------------------

    @Test
    void dockerfileCopiesExistingPathsAndItsCommandParses() throws IOException {
        List<String> lines = read("docker/Dockerfile").lines().map(String::trim).toList();
        List<String> copies = lines.stream().filter(l -> l.startsWith("COPY ") && !l.contains("--from=")).toList();
        assertThat(copies).isNotEmpty();
        for (String copy : copies) {
            String[] parts = copy.split("\\s+");
            for (String src : Arrays.copyOfRange(parts, 1, parts.length - 1)) {
                assertThat(ROOT.resolve(src)).as(copy).exists();
            }
        }
        assertThat(lines).anyMatch(l -> l.matches("USER\\s+[1-9][0-9]*(:[0-9]+)?"));
        assertThat(lines).anyMatch(l -> l.startsWith("HEALTHCHECK") );
        String healthcheck = String.join(" ", lines.subList(lines.indexOf(lines.stream()
                .filter(l -> l.startsWith("HEALTHCHECK")).findFirst().orElseThrow()), lines.size()));
        List<String> cmd = jsonArray(lines, "CMD");
        assertThat(jsonArray(lines, "ENTRYPOINT")).contains("-jar", "/opt/tokentap/tokentap.jar");
        assertThat(lines).contains("COPY config/proxy.yaml /etc/tokentap/proxy.yaml");

        ProxyConfig config = parseProxyArgs(cmd, Map.of("/etc/tokentap/proxy.yaml", read("config/proxy.yaml")));
        int admin = config.admin().listen().port();
        assertThat(healthcheck).contains("/dev/tcp/127.0.0.1/" + admin, "GET /healthz");
        assertThat(lines).anyMatch(l -> l.matches("EXPOSE .*\\b" + config.server().listen().port() + "\\b.*\\b"
                + admin + "\\b.*"));
    }

    /** The JSON-array form of the last {@code instruction} line (a HEALTHCHECK's own CMD comes before). */
    static List<String> jsonArray(List<String> lines, String instruction) throws IOException {
        String line = lines.stream().filter(l -> l.startsWith(instruction + " ")).reduce((a, b) -> b).orElseThrow();
        List<String> out = new ArrayList<>();
        JSON.readTree(line.substring(instruction.length()).trim()).forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeFileUsesExistingPathsAndTheProxyPorts() throws IOException {
        Map<String, Object> compose = new Yaml().load(read("docker/compose.yaml"));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("sim", "proxy", "prometheus", "grafana");
        for (Map<String, Object> s : services.values()) {
            for (Object v : (List<Object>) s.getOrDefault("volumes", List.of())) {
                String host = v.toString().split(":")[0];
                assertThat(ROOT.resolve("docker").resolve(host).normalize()).as(v.toString()).exists();
            }
        }
        Map<String, Object> build = (Map<String, Object>) services.get("sim").get("build");
        assertThat(ROOT.resolve("docker").resolve(build.get("context").toString())
                .resolve(build.get("dockerfile").toString()).normalize()).exists();

        ProxyConfig config = parseProxyArgs((List<String>) services.get("proxy").get("command"),
                Map.of("/etc/tokentap/proxy.yaml", read("config/proxy.yaml")));
        int admin = config.admin().listen().port();
        assertThat(config.admin().listen().host()).isEqualTo("0.0.0.0");
        assertThat(config.upstream().url()).isEqualTo(URI.create("http://sim:8000"));
        assertThat((List<String>) services.get("proxy").get("ports"))
                .anyMatch(p -> p.endsWith(":" + admin)).anyMatch(p -> p.endsWith(":" + config.server().listen().port()));
        String prometheus = read("docker/prometheus/prometheus.yml");
        assertThat(prometheus).contains("proxy:" + admin, "metrics_path: /metrics");
    }

    /** Parses {@code proxy ...} arguments as the proxy command would, with the config file from {@code files}. */
    static ProxyConfig parseProxyArgs(List<String> args, Map<String, String> files) {
        assertThat(args.get(0)).isEqualTo("proxy");
        ProxyCommand cmd = new ProxyCommand();
        new CommandLine(cmd).parseArgs(args.subList(1, args.size()).toArray(new String[0]));
        assertThat(cmd.configFile).isNotNull();
        String yaml = files.get(cmd.configFile.toString());
        assertThat(yaml).as("config file " + cmd.configFile).isNotNull();
        ConfigNode root = ConfigLoader.parse(yaml, cmd.configFile.toString());
        cmd.overrides().forEach((k, v) -> root.override(k, v.value(), v.origin()));
        return ProxyConfig.from(root);
    }

    // ---- Kubernetes ----------------------------------------------------------------------------------------

    /** The manifests as {@code kubectl kustomize} renders them. */
    static List<Map<String, Object>> render() throws Exception {
        String kubectl = KubeManifests.kubectl();
        if (kubectl == null && "true".equalsIgnoreCase(System.getenv("CI"))) {
            // scripts/install-test-deps.sh installs it; in CI the manifest check must run, not skip.
            throw new AssertionError("kubectl is not installed; CI=true, so the kustomize render check must run");
        }
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed");
        return KubeManifests.render(kubectl, ROOT.resolve("docker/k8s"));
    }

    /**
     * The resources and generated ConfigMaps read directly from the kustomization, without kustomize's name hashes,
     * so that the checks also run on a machine without kubectl.
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> renderWithoutKubectl() throws IOException {
        Path dir = ROOT.resolve("docker/k8s");
        Map<String, Object> k = new Yaml().load(Files.readString(dir.resolve("kustomization.yaml")));
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object r : (List<Object>) k.get("resources")) {
            for (Object o : new Yaml().loadAll(Files.readString(dir.resolve(r.toString())))) {
                if (o != null) {
                    docs.add((Map<String, Object>) o);
                }
            }
        }
        for (Object g : (List<Object>) k.get("configMapGenerator")) {
            Map<String, Object> gen = (Map<String, Object>) g;
            Map<String, String> data = new java.util.LinkedHashMap<>();
            for (Object f : (List<Object>) gen.get("files")) {
                String spec = f.toString();
                String key = spec.contains("=") ? spec.substring(0, spec.indexOf('=')) : Path.of(spec).getFileName()
                        .toString();
                String file = spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : spec;
                data.put(key, Files.readString(dir.resolve(file)));
            }
            Map<String, Object> options = (Map<String, Object>) gen.getOrDefault("options", Map.of());
            Map<String, Object> metadata = new java.util.LinkedHashMap<>();
            metadata.put("name", gen.get("name"));
            if (options.containsKey("labels")) {
                metadata.put("labels", options.get("labels"));
            }
            docs.add(Map.of("apiVersion", "v1", "kind", "ConfigMap", "metadata", metadata, "data", data));
        }
        return docs;
    }

    static final Map<String, Class<?>> KINDS = Map.of(
            "Deployment", Deployment.class, "Service", Service.class, "ConfigMap", ConfigMap.class,
            "ServiceMonitor", ServiceMonitor.class, "PrometheusRule", PrometheusRule.class);

    static <T> T parse(Map<String, Object> doc, Class<T> type) {
        T obj = JSON.convertValue(doc, type);
        List<String> unknown = new ArrayList<>();
        unknownFields(obj, doc.get("kind") + "/" + ((Map<?, ?>) doc.get("metadata")).get("name"), unknown);
        assertThat(unknown).as("fields the Kubernetes API does not know").isEmpty();
        return obj;
    }

    static void unknownFields(Object o, String path, List<String> out) {
        KubeManifests.unknownFields(o, path, out);
    }

    @Test
    void anUnknownFieldIsCaught() {
        Map<String, Object> doc = new Yaml().load("""
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec:
                  ports: [{name: http, port: 80, targetPortt: http}]
                """);
        List<String> unknown = new ArrayList<>();
        unknownFields(JSON.convertValue(doc, Service.class), "Service/x", unknown);
        assertThat(unknown).containsExactly("Service/x.Spec.Ports[0]: [targetPortt]");
    }

    @Test
    void kustomizeRenderParsesAndMatchesTheCode() throws Exception {
        checkManifests(render());
    }

    @Test
    void manifestFilesParseAndMatchTheCode() throws Exception {
        checkManifests(renderWithoutKubectl());
    }

    @SuppressWarnings("unchecked")
    static void checkManifests(List<Map<String, Object>> docs) throws Exception {
        assertThat(docs).extracting(d -> d.get("kind")).containsExactlyInAnyOrder(
                "ConfigMap", "ConfigMap", "Service", "Deployment", "ServiceMonitor", "PrometheusRule");
        Map<String, Object> byKind = new HashMap<>();
        Map<String, Map<String, Object>> rawByKind = new HashMap<>();
        ConfigMap proxyConfigMap = null;
        ConfigMap dashboards = null;
        for (Map<String, Object> doc : docs) {
            String kind = (String) doc.get("kind");
            Object parsed = parse(doc, KINDS.get(kind));
            if (parsed instanceof ConfigMap cm) {
                if (cm.getMetadata().getName().startsWith("tokentap-proxy-config")) {
                    proxyConfigMap = cm;
                } else {
                    dashboards = cm;
                }
            } else {
                byKind.put(kind, parsed);
                rawByKind.put(kind, doc);
            }
        }
        Deployment deployment = (Deployment) byKind.get("Deployment");
        Service service = (Service) byKind.get("Service");
        ServiceMonitor monitor = (ServiceMonitor) byKind.get("ServiceMonitor");

        // The sidecar's config is valid for the code (unknown keys fail) and its ports are the container's ports.
        assertThat(proxyConfigMap).isNotNull();
        var pod = deployment.getSpec().getTemplate().getSpec();
        Container sidecar = pod.getContainers().stream().filter(c -> c.getName().equals("tokentap")).findFirst()
                .orElseThrow();
        Container server = pod.getContainers().stream().filter(c -> !c.getName().equals("tokentap")).findFirst()
                .orElseThrow();
        String mount = sidecar.getVolumeMounts().stream()
                .filter(v -> pod.getVolumes().stream().anyMatch(vol -> vol.getName().equals(v.getName())
                        && vol.getConfigMap() != null
                        && vol.getConfigMap().getName().equals(proxyConfigMapName(docs))))
                .findFirst().orElseThrow().getMountPath();
        Map<String, String> files = new HashMap<>();
        proxyConfigMap.getData().forEach((k, v) -> files.put(mount + "/" + k, v));
        // The kubelet expands $(VAR) in args from the container's env; here with sample values.
        Map<String, String> env = Map.of("HOST_IP", "10.0.0.7", "POD_NAME", "vllm-0");
        for (String name : env.keySet()) {
            assertThat(sidecar.getEnv()).anyMatch(e -> e.getName().equals(name) && e.getValueFrom() != null);
        }
        List<String> args = sidecar.getArgs().stream().map(a -> {
            String out = a;
            for (Map.Entry<String, String> e : env.entrySet()) {
                out = out.replace("$(" + e.getKey() + ")", e.getValue());
            }
            return out;
        }).toList();
        ProxyConfig config = parseProxyArgs(args, files);
        assertThat(config.scraper().dcgmUrl()).isEqualTo(URI.create("http://10.0.0.7:9400/metrics"));
        assertThat(config.scraper().dcgmPod()).isEqualTo("vllm-0");

        Map<String, Integer> ports = sidecar.getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        assertThat(ports).containsEntry("http", config.server().listen().port())
                .containsEntry("admin", config.admin().listen().port());
        assertThat(config.admin().listen().host()).as("probes come from the kubelet").isEqualTo("0.0.0.0");
        int upstreamPort = config.upstream().port();
        assertThat(server.getPorts()).extracting(ContainerPort::getContainerPort).contains(upstreamPort);

        assertThat(sidecar.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(sidecar.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
        assertThat(sidecar.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(sidecar.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
        assertThat(sidecar.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(sidecar.getResources().getLimits()).containsKey("memory");
        // No CPU limit: the JVM is told how many processors to size its event loops and GC threads for.
        assertThat(sidecar.getResources().getLimits()).doesNotContainKey("cpu");
        assertThat(sidecar.getEnv()).anyMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS")
                && e.getValue().matches(".*-XX:ActiveProcessorCount=\\d+.*"));
        assertThat(sidecar.getSecurityContext().getRunAsNonRoot()).isTrue();

        // Graceful termination: the grace period covers the sidecar's preStop and drain; the server outlives them.
        long grace = pod.getTerminationGracePeriodSeconds();
        long sidecarPreStop = sidecar.getLifecycle().getPreStop().getSleep().getSeconds();
        long serverPreStop = server.getLifecycle().getPreStop().getSleep().getSeconds();
        long drain = config.server().drainTimeout().toSeconds();
        assertThat(grace).isGreaterThan(sidecarPreStop + drain);
        assertThat(serverPreStop).isGreaterThanOrEqualTo(sidecarPreStop + drain);

        // Service → sidecar ports; ServiceMonitor → the admin port's /metrics.
        assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(service.getSpec().getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
        });
        assertThat(service.getSpec().getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("admin");
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("admin");
        });
        assertThat(monitor.getSpec().getSelector().getMatchLabels()).isEqualTo(service.getMetadata().getLabels()
                .entrySet().stream().filter(e -> e.getKey().equals("app.kubernetes.io/name"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPort()).isEqualTo("admin");
            assertThat(e.getPath()).isEqualTo("/metrics");
        });

        // The PrometheusRule carries exactly the rules that promtool tests.
        Map<String, Object> rules = new Yaml().load(read("grafana-dashboards/alerts/tokentap-rules.yaml"));
        Map<String, Object> spec = (Map<String, Object>) rawByKind.get("PrometheusRule").get("spec");
        assertThat(spec.get("groups")).isEqualTo(rules.get("groups"));

        // The dashboards ConfigMap carries the dashboard files as they are.
        assertThat(dashboards).isNotNull();
        assertThat(dashboards.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboards.getData()).containsEntry("llm-service.json", read("grafana-dashboards/llm-service.json"))
                .containsEntry("capacity.json", read("grafana-dashboards/capacity.json"));
    }

    @SuppressWarnings("unchecked")
    static String proxyConfigMapName(List<Map<String, Object>> docs) {
        return docs.stream().filter(d -> "ConfigMap".equals(d.get("kind")))
                .map(d -> (String) ((Map<String, Object>) d.get("metadata")).get("name"))
                .filter(n -> n.startsWith("tokentap-proxy-config")).findFirst().orElseThrow();
    }
}
