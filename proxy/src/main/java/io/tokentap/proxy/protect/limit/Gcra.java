package io.tokentap.proxy.protect.limit;

/**
 * The generic cell rate algorithm over one {@code long}: a limit of {@code limit} units per {@code periodNanos},
 * with a burst of the whole period's allowance. The state is the theoretical arrival time (TAT): the moment at
 * which the limit would be fully replenished. One compare-and-set per admission, no timer, no lock, and a cost of
 * any size, positive (charge) or negative (refund), which is what reconciling a token estimate with the real usage
 * needs.
 *
 * <p>This class holds only the arithmetic; the caller keeps the TAT (in {@link TenantState}, updated atomically).
 */
final class Gcra {

    private final long limit;
    private final long periodNanos;
    private final double nanosPerUnit;

    Gcra(long limit, long periodNanos) {
        this.limit = limit;
        this.periodNanos = periodNanos;
        this.nanosPerUnit = (double) periodNanos / limit;
    }

    long limit() {
        return limit;
    }

    long periodNanos() {
        return periodNanos;
    }

    /** The time {@code units} take to replenish. */
    long nanosFor(long units) {
        double n = units * nanosPerUnit;
        return n >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(n);
    }

    /** The TAT after admitting a request costing {@code increment} at {@code now}, or {@code Long.MIN_VALUE} if it does not fit. */
    long admit(long tat, long now, long increment) {
        long base = tat - now > 0 ? tat : now;
        long next = base + increment;
        return next - now <= periodNanos ? next : Long.MIN_VALUE;
    }

    /** Units still available at {@code now} for a TAT. */
    long remaining(long tat, long now) {
        long used = Math.max(0, tat - now);
        long free = periodNanos - used;
        return free <= 0 ? 0 : Math.min(limit, (long) (free / nanosPerUnit));
    }

    /** Time until the limit is fully replenished. */
    long resetNanos(long tat, long now) {
        return Math.max(0, tat - now);
    }

    /** How long a request costing {@code increment} must wait before it fits, or -1 if it never can. */
    long retryAfterNanos(long tat, long now, long increment) {
        if (increment > periodNanos) {
            return -1;
        }
        long base = Math.max(tat, now);
        return Math.max(0, base + increment - now - periodNanos);
    }
}
