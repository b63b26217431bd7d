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

pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

pin 0 java -XX:ActiveProcessorCount=1 -jar cli/target/tokentap.jar sim --profile tiny \
    --listen "127.0.0.1:$port" --time-scale "$scale" >/tmp/tokentap-sim-speed.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done

pin 1 java -cp "cli/target/tokentap.jar:inference-sim/target/test-classes" io.tokentap.sim.bench.SpeedClient \
    "$port" "$connections" "$max_tokens" 3 "$seconds"
echo "server CPU time (s):"; ps -o cputime= -p "$server"
