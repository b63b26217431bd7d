package io.tokentap.loadgen.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokentap.loadgen.config.ConfigException;
import io.tokentap.loadgen.config.Durations;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PlanParserTest {

    private static Plan parse(String yaml) {
        return new PlanParser().parse("plan.yaml", new StringReader(yaml), Path.of("/plans"));
    }

    @Test
    void durations() {
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> Durations.parse("30")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> Durations.parse("3 days")).hasMessageContaining("not a duration");
        assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
    }

    @Test
    void readsEveryStageType() {
        Plan p = parse("""
                name: mixed
                seed: 9
                max_duration: 1h
                max_requests: 5000
                workload: chat.yaml
                slo: {ttft: 500ms, tpot: 50ms, max_stall: 1s}
                client:
                  timeout: 30s
                  abort_after_tokens: 20
                  tenant_header: x-api-key
                  tenant_keys: [a, b]
                stages:
                  - type: ramp
                    concurrency: {from: 1, to: 32}
                    over: 1m
                    hold: 30s
                  - name: steady
                    type: sustained
                    rate: 20
                    arrival: gamma
                    gamma_shape: 0.5
                    hold: 2m
                  - type: burst
                    rate: 5
                    multiplier: 4
                    period: 30s
                    burst: 5s
                    hold: 1m
                  - type: soak
                    concurrency: 8
                    hold: 2h
                """);
        assertThat(p.name()).isEqualTo("mixed");
        assertThat(p.maxDuration()).isEqualTo(Duration.ofHours(1));
        assertThat(p.maxRequests()).isEqualTo(5000);
        assertThat(p.workload()).isEqualTo(Path.of("/plans/chat.yaml"));
        assertThat(p.slo().ttft()).isEqualTo(Duration.ofMillis(500));
        assertThat(p.client().tenantKeys()).containsExactly("a", "b");
        assertThat(p.stages()).hasSize(4);
        StageSpec ramp = p.stages().get(0);
        assertThat(ramp.model()).isEqualTo(LoadModel.CLOSED);
        assertThat(ramp.duration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(ramp.profile().valueAt(30)).isEqualTo(16.5);
        assertThat(ramp.name()).isEqualTo("ramp-1");
        StageSpec steady = p.stages().get(1);
        assertThat(steady.model()).isEqualTo(LoadModel.OPEN);
        assertThat(steady.arrival()).isEqualTo(ArrivalProcess.GAMMA);
        assertThat(steady.loadLabel()).isEqualTo("r=20/s");
        assertThat(p.stages().get(2).profile().peak()).isEqualTo(20);
        assertThat(p.stages().get(3).duration()).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void aBadDurationIsNamedWithItsLine() {
        assertThatThrownBy(() -> parse("""
                stages:
                  - type: sustained
                    concurrency: 4
                    hold: ten seconds
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessage("plan.yaml:4: stages[0].hold: 'ten seconds' is not a duration (expected e.g. 500ms, 30s, 2m, 1h)");
    }

    @Test
    void anUnknownFieldIsNamed() {
        assertThatThrownBy(() -> parse("""
                stages:
                  - type: sustained
                    rate: 4
                    hodl: 10s
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("plan.yaml:4: stages[0].hodl: unknown field");
        assertThatThrownBy(() -> parse("stages: []\nmax_durration: 1m\n"))
                .hasMessageStartingWith("plan.yaml:2: max_durration: unknown field");
    }

    @Test
    void missingAndInvalidValuesAreNamed() {
        assertThatThrownBy(() -> parse("stages:\n  - type: sustained\n    concurrency: 4\n"))
                .hasMessageContaining("stages[0].hold: missing");
        assertThatThrownBy(() -> parse("stages:\n  - type: sustained\n    concurrency: -2\n    hold: 1s\n"))
                .hasMessageContaining("plan.yaml:3: stages[0].concurrency: -2 (expected: > 0)");
        assertThatThrownBy(() -> parse("stages:\n  - type: spike\n    rate: 1\n    hold: 1s\n"))
                .hasMessageContaining("stages[0].type: 'spike' (expected one of: ramp, sustained, burst, soak)");
        assertThatThrownBy(() -> parse("stages:\n  - type: burst\n    rate: 1\n    multiplier: 2\n"
                + "    period: 10s\n    burst: 20s\n    hold: 1m\n"))
                .hasMessageContaining("plan.yaml:6: stages[0].burst: 20s (expected: <= period 10s)");
        assertThatThrownBy(() -> parse("client:\n  max_connections: 0\nstages:\n  - type: soak\n    rate: 1\n    hold: 1s\n"))
                .hasMessageContaining("plan.yaml:2: client.max_connections: 0 (expected: > 0)");
        assertThatThrownBy(() -> parse("stages:\n  - type: soak\n    rate: 1\n    concurrency: 2\n    hold: 1s\n"))
                .hasMessageContaining("exactly one of 'concurrency'");
        assertThatThrownBy(() -> parse("stages: [\n")).hasMessageStartingWith("plan.yaml:");
    }
}
