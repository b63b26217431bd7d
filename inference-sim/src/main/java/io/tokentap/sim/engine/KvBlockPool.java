package io.tokentap.sim.engine;

/**
 * The paged KV cache: a fixed number of blocks of {@code blockSize} tokens, handed to requests as their context grows
 * and taken back whole when they finish, are preempted or aborted. Engine thread only.
 */
final class KvBlockPool {
    private final int blockSize;
    private final long total;
    private long free;

    KvBlockPool(long total, int blockSize) {
        this.total = total;
        this.free = total;
        this.blockSize = blockSize;
    }

    long total() {
        return total;
    }

    long used() {
        return total - free;
    }

    /** Blocks {@code r} needs beyond the ones it holds to cache {@code n} more tokens. */
    long extraFor(SimRequest r, int n) {
        long tokens = (long) r.computed + n;
        return (tokens + blockSize - 1) / blockSize - r.blocks;
    }

    boolean fits(long extra) {
        return extra <= free;
    }

    void grow(SimRequest r, long extra) {
        if (extra > 0) {
            r.blocks += (int) extra;
            free -= extra;
        }
    }

    void release(SimRequest r) {
        free += r.blocks;
        r.blocks = 0;
    }
}
