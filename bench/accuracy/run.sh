#!/usr/bin/env bash
# Measurement accuracy: tokentap's TTFT and ITL against ground truth (io.tokentap.bench.relay.AccuracyHarness: the
# real relay with its Micrometer metrics, between the fast upstream's own send times and the client's send times,
# one process and one clock), at 100 and 1,000 streams of 20 events/s.
#   bench/accuracy/run.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
if ((quick)); then warmup=5; duration=10; else warmup=10; duration=30; fi
build_jars; install_tools; raise_nofile
timer=$(timer_probe "$out")
echo "### Measurement accuracy"
echo
echo "Streams of 50 events at 20 events/s; warm-up ${warmup} s, measured ${duration} s. Errors are absolute, in µs."
echo "\"timer late p99\": how late a C program sleeping to a deadline every millisecond (bench/lib/timer_floor.c) woke,"
echo "p99, in the same window: the machine's own scheduling floor under that load."
echo
echo "| streams | TTFT samples | TTFT p50 | TTFT p99 | TTFT max | ITL samples | ITL p50 | ITL p99 | ITL p99.9 | ITL max | TTFT signed mean | timer late p99 |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for streams in 100 1000; do
    f="$out/accuracy-$streams.txt"
    timeout $((warmup + duration + 120)) java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.AccuracyHarness \
        --streams $streams --rate 20 --events 50 --warmup $warmup --duration $duration >"$f" 2>"$f.err" &
    harness=$!
    # The machine's wake-up lateness through the measured window (the JVM starts in about a second).
    timer_window "$timer" $((warmup + 2)) $((duration - 2)) "$f.timer" &
    tp=$!
    wait $harness || true
    wait $tp || true
    late=$(awk -F= '$1 == "timer_late_p99_ms" {printf "%.0f", $2 * 1000}' "$f.timer" 2>/dev/null)
    echo "| $streams | $(kv "$f" ttft_samples) | $(kv "$f" ttft_abs_err_p50_us) | $(kv "$f" ttft_abs_err_p99_us) | $(kv "$f" ttft_abs_err_max_us) | $(kv "$f" itl_samples) | $(kv "$f" itl_abs_err_p50_us) | $(kv "$f" itl_abs_err_p99_us) | $(kv "$f" itl_abs_err_p999_us) | $(kv "$f" itl_abs_err_max_us) | $(kv "$f" ttft_err_signed_mean_us) | ${late:-—} |"
done
