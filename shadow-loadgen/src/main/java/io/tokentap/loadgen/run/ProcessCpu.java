package io.tokentap.loadgen.run;

import java.lang.management.ManagementFactory;

/** The CPU time this process has used, every thread's user and system time together. */
final class ProcessCpu {

    private ProcessCpu() {
    }

    /** Nanoseconds of CPU this process has used since it started, or -1 when the JVM cannot tell. */
    static long nanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
