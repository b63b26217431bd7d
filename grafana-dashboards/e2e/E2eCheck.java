import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.yaml.snakeyaml.Yaml;

/**
 * The end-to-end check of the dashboards and alert rules against a real Prometheus (run by run.sh, with
 * tokentap.jar on the class path for Jackson and SnakeYAML): drives streamed traffic through the proxy, then runs
 * every PromQL expression of every dashboard panel and every rule through Prometheus's HTTP API and lists those
 * that return nothing. Exit code 1 when any does.
 *
 * <p>Usage: {@code java -cp tokentap.jar E2eCheck.java PROXY_URL PROMETHEUS_URL MODEL TRAFFIC_SECONDS REPO_ROOT}
 */
public class E2eCheck {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Expr(String source, String promql) { }

    public static void main(String[] args) throws Exception {
        String proxy = args[0];
        String prometheus = args[1];
        String model = args[2];
        int seconds = Integer.parseInt(args[3]);
        Path root = Path.of(args[4]);

        awaitTarget(prometheus);
        drive(proxy, model, seconds);
        // Two more scrape and rule-evaluation rounds after the last request.
        Thread.sleep(3000);

        List<Expr> exprs = new ArrayList<>();
        for (String d : List.of("llm-service.json", "capacity.json")) {
            JsonNode dash = JSON.readTree(root.resolve("grafana-dashboards").resolve(d).toFile());
            for (JsonNode p : dash.path("panels")) {
                for (JsonNode t : p.path("targets")) {
                    exprs.add(new Expr(d + " / " + p.path("title").asText() + " / " + t.path("refId").asText(),
                            substitute(t.path("expr").asText())));
                }
            }
            for (JsonNode v : dash.path("templating").path("list")) {
                if (v.path("type").asText().equals("query")) {
                    String q = v.path("query").path("query").asText();
                    // label_values(METRIC{...}, label): the variable has values when the metric has that label.
                    String inner = q.substring("label_values(".length(), q.lastIndexOf(','));
                    String label = q.substring(q.lastIndexOf(',') + 1, q.length() - 1).trim();
                    exprs.add(new Expr(d + " / variable " + v.path("name").asText(),
                            "count by (" + label + ") (" + substitute(inner) + ")"));
                }
            }
        }
        Map<String, Object> rules = new Yaml().load(Files.readString(
                root.resolve("grafana-dashboards/alerts/tokentap-rules.yaml")));
        for (Object g : (List<?>) rules.get("groups")) {
            for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
                Map<?, ?> rule = (Map<?, ?>) r;
                String expr = rule.get("expr").toString().trim();
                String name = rule.containsKey("alert") ? "alert " + rule.get("alert") : "record " + rule.get("record");
                if (!rule.containsKey("alert")) {
                    exprs.add(new Expr(name, expr));
                    continue;
                }
                // An alert's expression returns data only while it fires: check both sides of its comparison.
                int cmp = topLevelComparison(expr);
                exprs.add(new Expr(name + " (measured side)", expr.substring(0, cmp).trim()));
                String rhs = expr.substring(cmp + 1).trim().replace("on() group_left()", "").trim();
                if (!rhs.matches("[0-9.]+")) {
                    // A day of history does not exist in a CI run: check the series without the offset.
                    exprs.add(new Expr(name + " (threshold side)", rhs.replace(" offset 1d", "")));
                }
            }
        }

        int empty = 0;
        int nan = 0;
        for (Expr e : exprs) {
            JsonNode res = query(prometheus, e.promql);
            String status;
            if (!"success".equals(res.path("status").asText())) {
                status = "ERROR " + res.path("error").asText();
                empty++;
            } else if (res.path("data").path("result").isEmpty()) {
                status = "EMPTY";
                empty++;
            } else {
                boolean allNan = true;
                for (JsonNode s : res.path("data").path("result")) {
                    allNan &= s.path("value").path(1).asText().equals("NaN");
                }
                status = allNan ? "OK(NaN)" : "OK";
                nan += allNan ? 1 : 0;
            }
            System.out.printf("%-8s %s%n         %s%n", status, e.source, e.promql);
        }
        JsonNode loaded = get(prometheus + "/api/v1/rules");
        int ruleCount = 0;
        for (JsonNode g : loaded.path("data").path("groups")) {
            for (JsonNode r : g.path("rules")) {
                ruleCount++;
                if (!"ok".equals(r.path("health").asText())) {
                    System.out.println("RULE UNHEALTHY " + r.path("name").asText() + ": " + r.path("lastError").asText());
                    empty++;
                }
            }
        }
        System.out.printf("%d expressions: %d returned nothing, %d only NaN; %d rules loaded%n",
                exprs.size(), empty, nan, ruleCount);
        System.exit(empty == 0 && ruleCount > 0 ? 0 : 1);
    }

    static String substitute(String expr) {
        return expr.replace("$__rate_interval", "30s").replace("$namespace", ".*").replace("$pod", ".*")
                .replace("$model", ".*");
    }

    static int topLevelComparison(String expr) {
        int depth = 0;
        int found = -1;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                depth--;
            } else if (c == '>' && depth == 0) {
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("no top-level comparison in " + expr);
        }
        return found;
    }

    static JsonNode query(String prometheus, String promql) throws Exception {
        return get(prometheus + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static void awaitTarget(String prometheus) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode r = query(prometheus, "up{job=\"tokentap\"} == 1");
                if (!r.path("data").path("result").isEmpty()) {
                    return;
                }
            } catch (java.io.IOException e) {
                // Prometheus is still starting.
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Prometheus never scraped the proxy");
    }

    /** Streams requests through the proxy from several workers; a share of them ask the simulator for faults. */
    static void drive(String proxy, String model, int seconds) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        AtomicLong sent = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            Random random = new Random(w);
            workers.add(CompletableFuture.runAsync(() -> {
                while (System.nanoTime() < end) {
                    String fault = switch (random.nextInt(20)) {
                        case 0 -> "status=503";
                        case 1 -> "status=429";
                        case 2 -> "disconnect_after=3";
                        default -> null;
                    };
                    String m = random.nextInt(10) == 0 ? "some-unlisted-model" : model;
                    String body = "{\"model\":\"" + m + "\",\"stream\":true,\"max_tokens\":" + (8 + random.nextInt(24))
                            + ",\"stream_options\":{\"include_usage\":true},"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"Say something about capacity.\"}]}";
                    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy + "/v1/chat/completions"))
                            .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body));
                    if (fault != null) {
                        b.header("x-tokentap-fault", fault);
                    }
                    int node = random.nextInt(3);
                    if (node > 0) {
                        b.header("x-tokentap-node", node == 1 ? "retriever" : "generator"); // the rest: node="none"
                    }
                    try {
                        HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding());
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                    sent.incrementAndGet();
                }
            }));
        }
        CompletableFuture.allOf(workers.toArray(new CompletableFuture[0])).get();
        System.out.printf("traffic: %d requests in %d s (%d failed at the client)%n", sent.get(), seconds, failed.get());
    }
}
