package io.tokentap.sim.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProfileLoaderTest {
    final ProfileLoader loader = new ProfileLoader();

    static final String GOOD = """
            name: t
            model:
              name: m
              params_billion: 8.03
              layers: 32
              kv_heads: 8
              head_dim: 128
              max_model_len: 8192
            gpu:
              name: g
              memory_gib: 80
              bandwidth_gbps: 2039
              peak_tflops: 312
            """;

    @Test
    void builtInProfilesLoadFromTheClasspath() {
        for (String name : ProfileLoader.BUILT_IN) {
            Profile p = loader.load(name);
            assertThat(p.name()).isEqualTo(name);
            assertThat(p.numGpuBlocks()).isPositive();
        }
        // Llama-3 8B: 2 × 32 layers × 8 kv heads × 128 × 2 bytes = 128 KiB per token.
        assertThat(loader.load("llama3-8b-a100").model().kvBytesPerToken()).isEqualTo(131072);
    }

    @Test
    void kvCapacityFollowsTheFormula() {
        Profile p = loader.parse(GOOD, "t.yaml", "t");
        double free = 80 * Math.pow(1024, 3) * 0.9 - 8.03e9 * 2;
        assertThat(p.numGpuBlocks()).isEqualTo((long) Math.floor(free / (131072.0 * 16)));
    }

    @Test
    void aBadValueIsReportedByFieldAndLine() {
        assertThatThrownBy(() -> loader.parse(GOOD.replace("memory_gib: 80", "memory_gib: -80"), "t.yaml", "t"))
                .isInstanceOf(ProfileException.class)
                .hasMessageContaining("t.yaml, line 11")
                .hasMessageContaining("gpu.memory_gib: -80.0 (expected: > 0)");
        assertThatThrownBy(() -> loader.parse(GOOD.replace("layers: 32", "layers: many"), "t.yaml", "t"))
                .hasMessageContaining("line 5").hasMessageContaining("model.layers: 'many' (expected: an integer)");
    }

    @Test
    void unknownAndMissingFieldsAreNamed() {
        assertThatThrownBy(() -> loader.parse(GOOD.replace("peak_tflops: 312", "peak_tflops: 312\n  memroy: 3"), "t.yaml", "t"))
                .hasMessageContaining("gpu.memroy: unknown field").hasMessageContaining("line 14");
        assertThatThrownBy(() -> loader.parse(GOOD.replace("  head_dim: 128\n", ""), "t.yaml", "t"))
                .hasMessageContaining("model.head_dim: missing");
        assertThatThrownBy(() -> loader.parse(GOOD + "engine:\n  reject_status: 500\n", "t.yaml", "t"))
                .hasMessageContaining("engine.reject_status: 500 (expected: 503 or 429)").hasMessageContaining("line 15");
        assertThatThrownBy(() -> loader.parse(GOOD + "faults:\n  stall_ms: x\n", "t.yaml", "t"))
                .hasMessageContaining("faults.stall_ms");
        assertThatThrownBy(() -> loader.load("nope")).hasMessageContaining("not a built-in profile");
    }

    @Test
    void weightsThatDoNotFitAreRejected() {
        assertThatThrownBy(() -> loader.parse(GOOD.replace("params_billion: 8.03", "params_billion: 70"), "t.yaml", "t"))
                .hasMessageContaining("engine.gpu_memory_utilization").hasMessageContaining("no room for the KV cache");
    }
}
