package io.tokentap.loadgen.workload;

import java.util.List;
import java.util.function.IntFunction;

/**
 * A workload read from a file: its requests in file order, built when asked for. It either ends after the last
 * entry (replay) or starts over (a prompt file under a longer run).
 */
public final class FileWorkload implements Workload {

    private final String description;
    private final int size;
    private final IntFunction<RequestSpec> build;
    private final long[] offsets;
    private final boolean cycle;
    private int next;

    public FileWorkload(String description, int size, IntFunction<RequestSpec> build, long[] offsets, boolean cycle) {
        if (size < 1) {
            throw new IllegalArgumentException(description + ": no usable entries");
        }
        this.description = description;
        this.size = size;
        this.build = build;
        this.offsets = offsets;
        this.cycle = cycle;
    }

    @Override
    public RequestSpec next() {
        if (next >= size) {
            if (!cycle) {
                return null;
            }
            next = 0;
        }
        return build.apply(next++);
    }

    @Override
    public long[] recordedOffsetsNanos() {
        return offsets == null ? null : offsets.clone();
    }

    /** The same entries, ending after the last one (for replay) or wrapping around. */
    public FileWorkload cycling(boolean cycle) {
        return new FileWorkload(description, size, build, offsets, cycle);
    }

    /**
     * Shard {@code index} of {@code count}: every {@code count}-th entry from {@code index} on, with its recorded
     * offset unchanged, so that {@code count} load generators replaying one shard each send the whole file at its
     * recorded times.
     */
    public FileWorkload shard(int index, int count) {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("shard: " + index + "/" + count + " (expected: 0 <= i < N)");
        }
        int n = size > index ? (size - index + count - 1) / count : 0;
        if (n == 0) {
            throw new IllegalArgumentException(description + ": shard " + index + "/" + count + " has no entries ("
                    + size + " in all)");
        }
        long[] o = null;
        if (offsets != null) {
            o = new long[n];
            for (int k = 0; k < n; k++) {
                o[k] = offsets[index + k * count];
            }
        }
        return new FileWorkload(description + ", shard " + index + "/" + count, n,
                k -> build.apply(index + k * count), o, cycle);
    }

    public int size() {
        return size;
    }

    @Override
    public String describe() {
        return description;
    }

    static long[] offsets(List<Long> times) {
        long first = times.isEmpty() ? 0 : times.stream().mapToLong(Long::longValue).min().orElse(0);
        return times.stream().mapToLong(t -> t - first).toArray();
    }
}
