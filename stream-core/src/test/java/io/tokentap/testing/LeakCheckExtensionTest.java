package io.tokentap.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * A test class that leaks a buffer fails, through the same extension auto-detection the build uses; one that
 * releases its buffers passes. The two classes below are nested, so Surefire does not run them on their own.
 */
@Timeout(60)
class LeakCheckExtensionTest {

    static class LeakingTests {
        @Test
        void dropsABufferWithoutReleasingIt() {
            ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            leaked.writeInt(42);
        }
    }

    static class CleanTests {
        @Test
        void releasesItsBuffer() {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            buf.writeInt(42);
            buf.release();
        }
    }

    static TestExecutionSummary runThroughTheLauncher(Class<?> testClass) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(testClass))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        return listener.getSummary();
    }

    @Test
    void aClassThatLeaksABufferFails() {
        TestExecutionSummary summary = runThroughTheLauncher(LeakingTests.class);
        assertThat(summary.getTestsSucceededCount()).as("the test method itself passes").isEqualTo(1);
        List<TestExecutionSummary.Failure> failures = summary.getFailures();
        assertThat(failures).as("the class fails in afterAll").hasSize(1);
        assertThat(failures.get(0).getException()).isInstanceOf(AssertionError.class)
                .hasMessageContaining("leaked buffer(s) reported during LeakCheckExtensionTest$LeakingTests")
                .hasMessageContaining("LEAK");
    }

    @Test
    void aClassThatReleasesItsBuffersPasses() {
        TestExecutionSummary summary = runThroughTheLauncher(CleanTests.class);
        assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        assertThat(summary.getFailures()).isEmpty();
    }
}
