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
 * <p>{@link #apply} only sets system properties: it initialises no Netty class.
 */
public final class NettyDefaults {

    /** Netty's own property for its default allocator: {@code pooled}, {@code adaptive} or {@code unpooled}. */
    public static final String ALLOCATOR_PROPERTY = "io.netty.allocator.type";

    /** The allocator tokentap picks when the property is not set. */
    public static final String ALLOCATOR = "pooled";

    private NettyDefaults() {
    }

    /** Sets every default the user has not set. */
    public static void apply() {
        if (System.getProperty(ALLOCATOR_PROPERTY) == null) {
            System.setProperty(ALLOCATOR_PROPERTY, ALLOCATOR);
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
