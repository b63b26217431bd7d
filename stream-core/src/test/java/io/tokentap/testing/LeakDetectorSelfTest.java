package io.tokentap.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the leak check can fail: a buffer dropped without release must be reported. */
class LeakDetectorSelfTest {

    @Test
    void droppedBufferIsReported() {
        leakOne();
        List<String> leaks = new ArrayList<>();
        for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
            leaks.addAll(LeakCheckExtension.collectLeaks());
        }
        assertThat(leaks).as("the deliberately leaked buffer").isNotEmpty();
        assertThat(leaks.get(0)).contains("LEAK");
    }

    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeInt(42);
    }
}
