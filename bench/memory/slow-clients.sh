#!/usr/bin/env bash
# Memory per stream under slow clients: 1,000 streams through tokentap (-Xmx512m) from an unpaced upstream whose
# responses are long (100,000 events), to clients that read the response head and then stop reading. The proxy
# stops reading an upstream whose client is not writable (relay.writeBufferHighBytes), so what it holds per stream
# must stop growing. Samples the proxy's heap after a full GC and RSS, and the events the upstream managed to
# write, twice, some seconds apart.
#   bench/memory/slow-clients.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
if ((quick)); then gap=8; else gap=30; fi
streams=1000
build_jars; raise_nofile
trap stop_all EXIT

start_bg "$out/slow-upstream.log" java -Xmx1g -cp "$BENCH_JAR" io.tokentap.bench.relay.FastUpstream --port 19300 \
    --rate 0 --batch 16 --events 100000
up=$LAST_PID
start_bg "$out/slow-proxy.log" java -Xmx512m -jar "$TOKENTAP_JAR" proxy --listen 127.0.0.1:19301 \
    --upstream http://127.0.0.1:19300 --admin 127.0.0.1:19302 --max-connections 20000 --drain-timeout 1s --no-scrape
px=$LAST_PID
wait_port 19300; wait_port 19301
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
sent() { curl -s http://127.0.0.1:19300/stats | sed 's/.*"events_sent":\([0-9]*\).*/\1/'; }
base_heap=$(heap_after_gc_mb "$px"); base_rss=$(rss "$px")
java -Xmx512m -cp "$BENCH_JAR" io.tokentap.bench.relay.RelayProbe --port 19301 --streams $streams --slow \
    --warmup 0 --duration $((gap * 2 + 10)) >"$out/slow-probe.txt" 2>&1 &
probe=$!; BENCH_PIDS+=($probe)
sleep $((gap + 5))
h1=$(heap_after_gc_mb "$px"); r1=$(rss "$px"); s1=$(sent)
sleep "$gap"
h2=$(heap_after_gc_mb "$px"); r2=$(rss "$px"); s2=$(sent)
wait $probe || true
echo "### Memory under slow clients"
echo
echo "$streams streams whose clients stopped reading after the response head; tokentap at -Xmx512m with the default"
echo "write-buffer marks. Samples ${gap} s apart, the first $((gap + 5)) s after the streams opened."
echo
echo "| sample | proxy heap after full GC MB | proxy RSS MB | events written by the upstream |"
echo "|---|---|---|---|"
echo "| idle proxy, before | $base_heap | $base_rss | 0 |"
echo "| first | $h1 | $r1 | $s1 |"
echo "| second | $h2 | $r2 | $s2 |"
echo
awk -v h1="$h1" -v h2="$h2" -v b="$base_heap" -v s1="$s1" -v s2="$s2" -v n=$streams 'BEGIN {
    printf "- heap per stalled stream: %.1f KB; growth between the samples: %+d MB; upstream events written between the samples: %d (%.1f per stream)\n",
        (h2 - b) * 1024 / n, h2 - h1, s2 - s1, (s2 - s1) / n }'
