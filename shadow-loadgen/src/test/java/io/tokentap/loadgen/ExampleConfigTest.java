package io.tokentap.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.PlanParser;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.Workload;
import io.tokentap.loadgen.workload.WorkloadLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The examples in config/loadgen stay valid. */
@Timeout(60)
class ExampleConfigTest {

    static final Path DIR = Path.of("..", "config", "loadgen");

    @Test
    void plansAndTheirWorkloadsLoad() throws Exception {
        List<String> warnings = new ArrayList<>();
        WorkloadLoader loader = new WorkloadLoader(new ObjectMapper(), new TokenText(), warnings::add);
        for (String name : List.of("ramp-burst.yaml", "concurrency-steps.yaml", "soak.yaml")) {
            Plan p = new PlanParser().parse(DIR.resolve(name));
            assertThat(p.stages()).isNotEmpty();
            Workload w = loader.load(p.workload(), null, p.seed());
            assertThat(w.next()).isNotNull();
        }
        Workload trace = loader.load(DIR.resolve("mooncake-sample.jsonl"), "m", 1);
        assertThat(trace.recordedOffsetsNanos()).hasSize(5);
        Workload capture = loader.load(DIR.resolve("capture-sample.jsonl"), null, 1);
        assertThat(capture.recordedOffsetsNanos()).hasSize(4);
        assertThat(warnings).isEmpty();
    }
}
