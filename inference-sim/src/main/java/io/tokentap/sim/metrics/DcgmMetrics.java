package io.tokentap.sim.metrics;

import io.tokentap.sim.engine.EngineState;
import io.tokentap.sim.profile.Profile;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * DCGM-exporter-style GPU gauges derived from the engine: utilisation is the share of wall time spent in
 * iterations since the previous scrape, framebuffer use is the weights plus the KV blocks in use (a real vLLM
 * reserves its whole pool up front; the simulator shows the part in use, which is what a what-if question needs),
 * power moves linearly between idle and max with utilisation. One series per GPU of the tensor-parallel group.
 */
public final class DcgmMetrics {
    private final Profile profile;
    private final LongSupplier nanoTime;
    private long lastScrapeNanos;
    private long lastBusyNanos;

    public DcgmMetrics(Profile profile, LongSupplier nanoTime) {
        this.profile = profile;
        this.nanoTime = nanoTime;
        this.lastScrapeNanos = nanoTime.getAsLong();
    }

    /** The exposition; utilisation covers the time since the previous call. */
    public synchronized String scrape(EngineState s) {
        long now = nanoTime.getAsLong();
        long elapsed = Math.max(1, now - lastScrapeNanos);
        double util = Math.min(1.0, Math.max(0, (double) (s.busyNanos() - lastBusyNanos) / elapsed));
        lastScrapeNanos = now;
        lastBusyNanos = s.busyNanos();

        int gpus = profile.gpu().count();
        double mib = 1024.0 * 1024;
        double totalMib = profile.gpu().memoryGib() * 1024;
        double kvBytes = s.usedBlocks() * (double) profile.engine().blockSize() * profile.model().kvBytesPerToken();
        double usedMib = (profile.model().weightBytes() + kvBytes) / gpus / mib;
        double watts = profile.gpu().idleWatts() + (profile.gpu().maxWatts() - profile.gpu().idleWatts()) * util;
        StringBuilder b = new StringBuilder(2048);
        family(b, "DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", gpus, Math.round(util * 100));
        family(b, "DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", gpus, Math.round(usedMib));
        family(b, "DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", gpus, Math.round(totalMib - usedMib));
        family(b, "DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", gpus, watts);
        return b.toString();
    }

    private void family(StringBuilder b, String name, String help, int gpus, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        for (int g = 0; g < gpus; g++) {
            b.append(name).append("{gpu=\"").append(g).append("\",UUID=\"GPU-sim-").append(g)
                    .append("\",device=\"nvidia").append(g).append("\",modelName=\"")
                    .append(SimMetrics.escape(profile.gpu().name())).append("\",Hostname=\"tokentap-sim\"} ")
                    .append(v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3f", v))
                    .append('\n');
        }
    }
}
