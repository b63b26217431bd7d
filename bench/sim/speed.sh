#!/usr/bin/env bash
# Speed of the simulator: the `tiny` profile at a high time scale, the server pinned to one core (CPU 0) and the
# load client to another (CPU 1). Prints streamed SSE events per second.
#   bench/sim/speed.sh [CONNECTIONS] [MAX_TOKENS] [TIME_SCALE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections="${1:-64}"; max_tokens="${2:-256}"; scale="${3:-1000}"; seconds="${4:-10}"
port="${SIM_PORT:-18231}"

mvn -B -q -pl cli -am package -DskipTests >/dev/null
mvn -B -q -pl inference-sim -am test-compile >/dev/null

taskset_0=(); taskset_1=()
if command -v taskset >/dev/null; then taskset_0=(taskset -c 0); taskset_1=(taskset -c 1); fi

"${taskset_0[@]}" java -XX:ActiveProcessorCount=1 -jar cli/target/tokentap.jar sim --profile tiny \
    --listen "127.0.0.1:$port" --time-scale "$scale" >/tmp/tokentap-sim-speed.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done

# Server CPU time (user + system ticks) around the client's run: on a shared machine the events per CPU-second
# say what one core can do, whatever share of it the server got.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(cpu_ticks)
out=$("${taskset_1[@]}" java -cp "cli/target/tokentap.jar:inference-sim/target/test-classes" \
    io.tokentap.sim.bench.SpeedClient "$port" "$connections" "$max_tokens" 3 "$seconds")
after=$(cpu_ticks)
echo "$out" | grep -v '^TOTAL_EVENTS'
total=$(echo "$out" | awk '/^TOTAL_EVENTS/ {print $2}')
awk -v e="$total" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "server CPU: %.1f s for %d events = %.0f streamed events per CPU-second\n", t / hz, e, e / (t / hz) }'
