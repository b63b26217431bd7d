package io.tokentap.proxy.capture;

import java.time.Clock;
import java.util.Random;

/** Test access to the writer's file seam, for tests in other packages. */
public final class CaptureWriters {

    /** Opens a capture file; throws to simulate a failing file system. */
    @FunctionalInterface
    public interface Opener {
        java.io.OutputStream open(java.nio.file.Path file) throws java.io.IOException;
    }

    private CaptureWriters() {
    }

    public static CaptureWriter withOpener(CaptureConfig config, Opener opener) {
        return new CaptureWriter(config, new Random(1), Clock.systemUTC(), System::nanoTime, opener::open);
    }
}
