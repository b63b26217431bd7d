package io.tokentap.bench.jmh;

import io.tokentap.core.timeline.Slo;
import io.tokentap.loadgen.result.StageRecorder;
import io.tokentap.loadgen.result.StageStats;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.SingleWriterRecorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Nanoseconds per read of 16 events, for the load generator's inter-token gaps: the first event 20 ms after the last
 * read, the other 15 in the same read (a gap of 0), as an unpaced upstream sends them. {@code perEvent} records each
 * gap into a {@link SingleWriterRecorder} on its own, as the load generator did before; {@code runs} goes through
 * the {@link StageRecorder}'s listener, which records a run of equal gaps in one call, and flushes after the read as
 * the executor does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LoadgenRecordingBench {

    private static final int EVENTS_PER_READ = 16;

    private SingleWriterRecorder single;
    private StageRecorder.Events events;

    @Setup(Level.Iteration)
    public void setUp() {
        single = new SingleWriterRecorder(1, StageStats.HIGHEST_MICROS, 3);
        events = new StageRecorder(new StageStats("s", "sustained", "c=100"), Slo.NONE).intervalListener();
    }

    @Benchmark
    public void perEvent() {
        single.recordValue(20_000);
        for (int i = 1; i < EVENTS_PER_READ; i++) {
            single.recordValue(1);
        }
    }

    @Benchmark
    public void runs() {
        events.interTokenLatency(20_000_000L, 1);
        for (int i = 1; i < EVENTS_PER_READ; i++) {
            events.interTokenLatency(0, 1);
        }
        events.flush();
    }
}
