#!/usr/bin/env bash
# Load-generator capacity against the fast upstream (io.tokentap.bench.relay.FastUpstream), beside a Python
# asyncio/aiohttp client doing the same job on the same machine:
#   1. events/s: 100 closed-loop users of 200-event streams, the upstream unpaced (16 events per write), first
#      `tokentap run` then the aiohttp client, back to back, each measured after a warm-up that lasts until its rate
#      has settled (the JVM's JIT compiler, starved of CPU by the busy loops, takes about 13 s here; Python has none);
#      CPU seconds of each client process in its measured window beside it.
#   2. 10,000 concurrent streams: 16-event streams, the upstream paced at 2 events/s per stream; heap after a full GC and RSS of the
#      load generator (-Xmx512m) while all 10,000 are open. Measured after a warm-up that holds the opening of the
#      10,000 connections and each user's first request (8 s long), as the steady state a long run is in.
#   3. open-model schedule lag at 1,000 requests/s (constant arrivals, 16-event responses), measured after a
#      warm-up, beside a C program that sleeps to a deadline every millisecond (bench/lib/timer_floor.c): its lateness is the
#      floor any client's schedule lag has on this machine under the same load.
# Writes a markdown section to stdout and the raw files to OUT.
#   bench/loadgen/run.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
if ((quick)); then seconds=10; warm=5; warm10k=10; events_warm=15; py_warm=2
else seconds=40; warm=10; warm10k=15; events_warm=20; py_warm=5; fi
build_jars; install_tools; raise_nofile
trap stop_all EXIT
loadgen=(java -Xmx512m -jar "$TOKENTAP_JAR" run --target http://127.0.0.1:19200 --model bench --event-loops 2)

upstream() { # upstream RATE BATCH
    [[ -n "${up:-}" ]] && stop_pid "$up"
    start_bg "$out/lg-upstream.log" java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.FastUpstream --port 19200 \
        --rate "$1" --batch "$2"
    up=$LAST_PID; wait_port 19200
}

# CPU seconds (user + system) of a command, from the shell's `times` (children of a subshell).
cpu_of() { # cpu_of FILE CMD...
    local f=$1; shift
    ( "$@" >"$f" 2>&1; times >"$f.times" )
    tail -1 "$f.times" | awk '{split($1, u, /[ms]/); split($2, s, /[ms]/); printf "cpu_s=%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2]}' >"$f.cpu"
}

# 1. Events per second.
upstream 0 16
cpu_of "$out/lg-events.log" "${loadgen[@]}" --concurrency 100 --warmup "${events_warm}s" --duration "${seconds}s" \
    --workload bench/loadgen/fixed-200.yaml --out "$out/lg-events"
python3 bench/loadgen/summary.py "$out/lg-events/results.json" >"$out/lg-events.txt"
sed 's/^cpu_s=/process_cpu_s=/' "$out/lg-events.log.cpu" >>"$out/lg-events.txt"
/usr/bin/python3 bench/loadgen/aiohttp_client.py http://127.0.0.1:19200/v1/chat/completions 100 "$seconds" 200 \
    "$py_warm" >"$out/py-events.txt"

# 2. 10,000 concurrent streams.
upstream 2 1
"${loadgen[@]}" --concurrency 10000 --max-connections 10000 --warmup "${warm10k}s" --duration "${seconds}s" \
    --workload bench/loadgen/fixed-16.yaml --out "$out/lg-10k" >"$out/lg-10k.log" 2>&1 &
lg=$!; BENCH_PIDS+=($lg)
sleep $((warm10k + seconds - 2))
lg_heap=$(heap_after_gc_mb "$lg")
lg_rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$lg/status")
up_open=$(curl -s http://127.0.0.1:19200/stats | sed 's/.*"streams_open":\([0-9]*\).*/\1/')
wait $lg || true
python3 bench/loadgen/summary.py "$out/lg-10k/results.json" >"$out/lg-10k.txt"
printf 'heap_after_gc_mb=%s\nrss_mb=%s\nupstream_streams_open=%s\n' "$lg_heap" "$lg_rss" "$up_open" >>"$out/lg-10k.txt"

# 3. Schedule lag at 1,000 requests/s, after a warm-up that the results leave out (the JVM compiling its hot code,
# the connections being opened). The timer probe runs through the measured window, a second in from each end.
upstream 0 16
timer=$(timer_probe "$out")
"${loadgen[@]}" --rate 1000 --arrival constant --warmup "${warm}s" --duration "${seconds}s" \
    --workload bench/loadgen/fixed-16.yaml --out "$out/lg-rate" >"$out/lg-rate.log" 2>&1 &
lg=$!; BENCH_PIDS+=($lg)
timer_window "$timer" $((warm + 2)) $((seconds - 3)) "$out/timer-floor.txt"
wait $lg || true
python3 bench/loadgen/summary.py "$out/lg-rate/results.json" >"$out/lg-rate.txt"
cat "$out/timer-floor.txt" >>"$out/lg-rate.txt"

e="$out/lg-events.txt"; p="$out/py-events.txt"; k="$out/lg-10k.txt"; r="$out/lg-rate.txt"
lg_cpu_events=$(awk -v e="$(kv "$e" events)" -v c="$(kv "$e" cpu_s)" 'BEGIN {printf "%.0f", e / c}')
echo "### Load generator capacity"
echo
echo "| run | events/s | requests/s | CPU s | events per CPU-second | schedule lag p99 ms | event-loop lag p99 ms | client-bound |"
echo "|---|---|---|---|---|---|---|---|"
echo "| tokentap run, 100 users, unpaced upstream, after a ${events_warm} s warm-up | $(kv "$e" events_per_s) | $(kv "$e" requests_per_s) | $(kv "$e" cpu_s) in the measured window ($(kv "$e" process_cpu_s) for the whole process, JVM start-up and warm-up included) | $lg_cpu_events | $(kv "$e" schedule_lag_p99_ms) | $(kv "$e" loop_lag_p99_ms) | $(kv "$e" client_bound) |"
echo "| aiohttp client, 100 users, same upstream, after a ${py_warm} s warm-up | $(kv "$p" events_per_s) | $(awk -v r="$(kv "$p" requests)" -v w="$(kv "$p" wall_s)" 'BEGIN {printf "%.1f", r / w}') | $(kv "$p" cpu_s) | $(kv "$p" events_per_cpu_s) | — | — | — |"
echo "| tokentap run, 10,000 users, 16-event streams at 2 events/s, after a ${warm10k} s warm-up | $(kv "$k" events_per_s) | $(kv "$k" requests_per_s) | — | — | $(kv "$k" schedule_lag_p99_ms) | $(kv "$k" loop_lag_p99_ms) | $(kv "$k" client_bound) |"
echo "| tokentap run, open model 1,000 requests/s | $(kv "$r" events_per_s) | $(kv "$r" requests_per_s) | — | — | $(kv "$r" schedule_lag_p99_ms) | $(kv "$r" loop_lag_p99_ms) | $(kv "$r" client_bound) |"
echo
awk -v t="$(kv "$e" events_per_s)" -v py="$(kv "$p" events_per_s)" -v tc="$lg_cpu_events" -v pc="$(kv "$p" events_per_cpu_s)" \
    'BEGIN {printf "- tokentap / aiohttp: %.1f× the events per second, %.1f× the events per CPU-second.\n", t / py, tc / pc}'
echo "- 10,000 users: $(kv "$k" requests) requests after the ${warm10k} s warm-up, $(kv "$k" errors) errors; the upstream had $(kv "$k" upstream_streams_open) streams open"\
     "when sampled; load generator heap after a full GC $(kv "$k" heap_after_gc_mb) MB, RSS $(kv "$k" rss_mb) MB (-Xmx512m)."
echo "- open model: $(kv "$r" requests) requests after a ${warm} s warm-up, schedule lag p50 $(kv "$r" schedule_lag_p50_ms) ms,"\
     "p99 $(kv "$r" schedule_lag_p99_ms) ms, max $(kv "$r" schedule_lag_max_ms) ms; in the same window the C timer probe"\
     "(timer_floor.c, $(kv "$r" timer_wakeups) wake-ups) was late by p50 $(kv "$r" timer_late_p50_ms) ms,"\
     "p99 $(kv "$r" timer_late_p99_ms) ms, max $(kv "$r" timer_late_max_ms) ms."
