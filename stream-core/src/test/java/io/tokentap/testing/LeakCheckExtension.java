package io.tokentap.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran. Registered for every test through JUnit's
 * extension auto-detection ({@code META-INF/services}), so no test can forget it.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " leaked buffer(s) reported during " + context.getDisplayName()
                    + ":\n" + String.join("\n", leaks));
        }
    }

    /**
     * Collects garbage and makes Netty poll its reference queue (which it does on each tracked allocation), then
     * returns what was reported.
     */
    public static List<String> collectLeaks() {
        for (int i = 0; i < 4; i++) {
            System.gc();
            poke(PooledByteBufAllocator.DEFAULT.directBuffer(8));
            poke(PooledByteBufAllocator.DEFAULT.heapBuffer(8));
            poke(UnpooledByteBufAllocator.DEFAULT.directBuffer(8));
            poke(UnpooledByteBufAllocator.DEFAULT.heapBuffer(8));
        }
        return FailingLeakDetector.drainLeaks();
    }

    private static void poke(ByteBuf buf) {
        buf.release();
    }
}
