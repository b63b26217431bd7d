/*
 * The machine's own timer lateness: sleeps to an absolute deadline every millisecond (clock_nanosleep,
 * TIMER_ABSTIME) for N wake-ups and prints how late the wake-ups were, as key=value lines in milliseconds. Run beside
 * a measurement (the load generator's schedule lag, the relay's added latency, the timing tap's accuracy), it shows
 * the floor such a figure has on this machine under the same load: a process that is not given a core on time is
 * late whatever its code does.
 *   cc -O2 -o timer_floor timer_floor.c && ./timer_floor 10000
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int by_value(const void *a, const void *b) {
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    if (n < 1000) {
        fprintf(stderr, "timer_floor: N %d (expected: >= 1000)\n", n);
        return 2;
    }
    long *late = malloc((size_t) n * sizeof(long));
    if (late == NULL) {
        return 1;
    }
    struct timespec due, now;
    clock_gettime(CLOCK_MONOTONIC, &due);
    for (int i = 0; i < n; i++) {
        due.tv_nsec += 1000000;
        if (due.tv_nsec >= 1000000000) {
            due.tv_nsec -= 1000000000;
            due.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        late[i] = (now.tv_sec - due.tv_sec) * 1000000000L + (now.tv_nsec - due.tv_nsec);
    }
    qsort(late, (size_t) n, sizeof(long), by_value);
    printf("timer_wakeups=%d\ntimer_late_p50_ms=%.3f\ntimer_late_p99_ms=%.3f\ntimer_late_max_ms=%.3f\n", n,
           late[n / 2] / 1e6, late[(long) n * 99 / 100] / 1e6, late[n - 1] / 1e6);
    free(late);
    return 0;
}
