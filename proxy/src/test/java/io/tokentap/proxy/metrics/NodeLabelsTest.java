package io.tokentap.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class NodeLabelsTest {

    @Test
    void theFirstNodesSeenKeepTheirLabelsAndTheRestAreOther() {
        NodeLabels n = new NodeLabels(List.of(), 2);
        assertThat(n.label("retriever")).isEqualTo("retriever");
        assertThat(n.label("generator")).isEqualTo("generator");
        assertThat(n.label("reranker")).isEqualTo("other");
        assertThat(n.label("retriever")).isEqualTo("retriever");
        assertThat(n.label(null)).isEqualTo("none");
        assertThat(n.label("  ")).isEqualTo("none");
    }

    @Test
    void anAllowListAdmitsOnlyItsNames() {
        NodeLabels n = new NodeLabels(List.of("router", "generator"), 1);
        assertThat(n.label("generator")).isEqualTo("generator");
        assertThat(n.label("router")).as("the limit does not apply to an allow-list").isEqualTo("router");
        assertThat(n.label("retriever")).isEqualTo("other");
    }

    @Test
    void valuesAreSanitisedToTheLabelCharsetAndLength() {
        NodeLabels n = new NodeLabels(List.of(), 10);
        assertThat(n.label(" stage 1/embed ")).isEqualTo("stage_1_embed");
        assertThat(n.label("a\"b\nc{d}")).isEqualTo("a_b_c_d_");
        assertThat(n.label("x".repeat(500))).isEqualTo("x".repeat(NodeLabels.MAX_LENGTH));
        assertThat(n.label("eu-west.gen:2")).isEqualTo("eu-west.gen:2");
        assertThat(n.label("other")).as("takes no slot").isEqualTo("other");
    }

    @Test
    void concurrentFloodsStayWithinTheLimit() throws Exception {
        NodeLabels n = new NodeLabels(List.of(), 5);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int base = t;
            pool.execute(() -> {
                for (int i = 0; i < 2000; i++) {
                    seen.add(n.label("node-" + base + "-" + i));
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        Set<String> own = new HashSet<>(seen);
        own.remove("other");
        assertThat(own).hasSize(5);
        assertThat(seen).contains("other");
    }

    @Test
    void theConfigRejectsBadNodeSettings() {
        MetricsConfig d = MetricsConfig.DEFAULT;
        assertThat(d.nodeHeader()).isEqualTo("x-tokentap-node");
        assertThat(d.nodeLabel()).isTrue();
        assertThat(new MetricsConfig(List.of(), java.util.Map.of(), d.window(), false, 1, "", List.of(), 10)
                .nodeLabel()).isFalse();
        assertThatThrownBy(() -> new MetricsConfig(List.of(), java.util.Map.of(), d.window(), false, 1,
                "x node", List.of(), 10)).hasMessageContaining("nodeHeader: 'x node'");
        assertThatThrownBy(() -> new MetricsConfig(List.of(), java.util.Map.of(), d.window(), false, 1,
                "x-node", List.of("a b"), 10)).hasMessageContaining("nodes: 'a b'");
        assertThatThrownBy(() -> new MetricsConfig(List.of(), java.util.Map.of(), d.window(), false, 1,
                "x-node", List.of("none"), 10)).hasMessageContaining("nodes: 'none'");
        assertThatThrownBy(() -> new MetricsConfig(List.of(), java.util.Map.of(), d.window(), false, 1,
                "x-node", List.of(), 0)).hasMessageContaining("nodeLimit: 0 (expected: 1 to 100)");
    }
}
