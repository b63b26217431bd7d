package io.tokentap.net;

/**
 * Netty settings tokentap runs with unless the user sets them: {@link #apply} must run before any Netty buffer
 * class is loaded, so the executable calls it first thing in {@code main}.
 *
 * <p><b>The buffer allocator.</b> Netty 4.2 defaults to its adaptive allocator, made for many threads sharing
 * buffers. tokentap has a few event loops, each allocating and freeing its own buffers, which is what the pooled
 * allocator's per-thread caches serve best. In async-profiler's CPU samples of a proxy answering a storm of 429s
 * (one request per write, after a 600,000-request warm-up), the allocators' frames fell from 11.5 % of the samples
 * with the adaptive allocator to 4.0 % with the pooled one, about 1.7 µs of a request's 23. Measured on the whole
 * process the gain is within this 2-core machine's noise: fresh proxies side by side, three alternating pairs of
 * storms per shape, gave -3.4, +0.1 and +2.7 µs per request on 4 connections and -0.1, -0.5 and -0.8 µs on 64
 * ({@code docs/benchmarks.md}). The relay at 1,000 streams showed no difference. Set
 * {@code -Dio.netty.allocator.type=adaptive} to go back.
 *
 * <p><b>Leak sampling.</b> Netty's leak detector (level {@code simple}) tracks one buffer in
 * {@value #LEAK_SAMPLING_INTERVAL_DEFAULT_NETTY} by default, and tracking one fills in a stack trace. At 1,000 relayed
 * streams that was 2.2 % of a proxy's CPU samples. tokentap samples one in {@value #LEAK_SAMPLING_INTERVAL}: a leak
 * on a path every request takes is still reported within seconds under load, for an eighth of the cost. Set
 * {@code -Dio.netty.leakDetection.samplingInterval} to choose otherwise, or
 * {@code -Dio.netty.leakDetection.level=paranoid} to track every buffer (the tests do).
 *
 * <p>{@link #apply} only sets system properties: it initialises no Netty class.
 */
public final class NettyDefaults {

    /** Netty's own property for its default allocator: {@code pooled}, {@code adaptive} or {@code unpooled}. */
    public static final String ALLOCATOR_PROPERTY = "io.netty.allocator.type";

    /** The allocator tokentap picks when the property is not set. */
    public static final String ALLOCATOR = "pooled";

    /** Netty's own property: one buffer in this many is tracked by the leak detector. */
    public static final String LEAK_SAMPLING_PROPERTY = "io.netty.leakDetection.samplingInterval";

    /** The leak sampling interval tokentap picks when the property is not set. */
    public static final int LEAK_SAMPLING_INTERVAL = 1024;

    static final int LEAK_SAMPLING_INTERVAL_DEFAULT_NETTY = 128;

    private NettyDefaults() {
    }

    /** Sets every default the user has not set. */
    public static void apply() {
        if (System.getProperty(ALLOCATOR_PROPERTY) == null) {
            System.setProperty(ALLOCATOR_PROPERTY, ALLOCATOR);
        }
        if (System.getProperty(LEAK_SAMPLING_PROPERTY) == null) {
            System.setProperty(LEAK_SAMPLING_PROPERTY, Integer.toString(LEAK_SAMPLING_INTERVAL));
        }
    }

    /** The allocator in use, as {@link #ALLOCATOR_PROPERTY} names it; this loads Netty's buffer classes. */
    public static String allocatorName() {
        Object a = io.netty.buffer.ByteBufAllocator.DEFAULT;
        if (a instanceof io.netty.buffer.PooledByteBufAllocator) {
            return "pooled";
        }
        if (a instanceof io.netty.buffer.AdaptiveByteBufAllocator) {
            return "adaptive";
        }
        if (a instanceof io.netty.buffer.UnpooledByteBufAllocator) {
            return "unpooled";
        }
        return a.getClass().getSimpleName();
    }
}
