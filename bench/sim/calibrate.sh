#!/usr/bin/env bash
# The calibration sweep over real sockets: the llama3-8b-a100 profile at a time scale (default 5), the workload of
# CalibrationTest (prompts of 400-600 tokens, closed-loop users at 1, 8, 16, 32, 64, 128), latencies measured by the
# client and converted back to model time. Prints the table; exits 1 if a bound of the published table's shape breaks.
#   bench/sim/calibrate.sh [TIME_SCALE] [MIN_REQUESTS_PER_LEVEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
scale="${1:-5}"; min_requests="${2:-20}"
port="${SIM_PORT:-18232}"

mvn -B -q -pl cli -am package -DskipTests >/dev/null
mvn -B -q -pl inference-sim -am test-compile >/dev/null

java -jar cli/target/tokentap.jar sim --profile llama3-8b-a100 --listen "127.0.0.1:$port" --time-scale "$scale" \
    >/tmp/tokentap-sim-calibrate.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done

java -cp "cli/target/tokentap.jar:inference-sim/target/test-classes" io.tokentap.sim.bench.CalibrationClient \
    "$port" "$scale" "$min_requests"
