#!/usr/bin/env bash
# End-to-end check of the dashboards and alert rules against a real Prometheus: starts the simulator, the proxy
# in front of it (scraping the simulator's vLLM and DCGM metrics) and Prometheus (Debian's `prometheus` binary)
# scraping the proxy every second with the alert rules loaded; drives traffic; then runs every dashboard and rule
# expression through the HTTP API (E2eCheck.java) and fails if any returns nothing.
# Needs: cli/target/tokentap.jar (mvn -B -pl cli -am package), prometheus, java.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
jar="$root/cli/target/tokentap.jar"
seconds=${E2E_TRAFFIC_SECONDS:-40}
base=${E2E_BASE_PORT:-27400}
sim=$((base + 0)); proxy=$((base + 1)); admin=$((base + 2)); prom=$((base + 3))
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v prometheus >/dev/null || { echo "prometheus is not installed (apt-get install -y prometheus)"; exit 1; }
[ -f "$jar" ] || { echo "missing $jar: run mvn -B -pl cli -am package first"; exit 1; }

model=tokentap/tiny
cat > "$work/proxy.yaml" <<YAML
server:
  listen: 127.0.0.1:$proxy
upstream:
  url: http://127.0.0.1:$sim
  maxConnections: 6
  maxPendingAcquires: 1
  acquireTimeout: 300ms
admin:
  listen: 127.0.0.1:$admin
  drainTimeout: 0s
metrics:
  models: [$model]
  prices:
    $model: {input: 0.10, output: 0.20, cachedInput: 0.05}
    other: {input: 1.00, output: 2.00}
scraper:
  dcgmUrl: http://127.0.0.1:$sim/dcgm/metrics
YAML
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $root/grafana-dashboards/alerts/tokentap-rules.yaml
scrape_configs:
  - job_name: tokentap
    static_configs:
      - targets: ["127.0.0.1:$admin"]
        labels: {namespace: e2e, pod: proxy-0}
YAML

java -jar "$jar" sim --profile tiny --listen "127.0.0.1:$sim" > "$work/sim.log" 2>&1 & pids+=($!)
java -jar "$jar" proxy --config "$work/proxy.yaml" > "$work/proxy.log" 2>&1 & pids+=($!)
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom" > "$work/prometheus.log" 2>&1 & pids+=($!)

if ! java -cp "$jar" "$root/grafana-dashboards/e2e/E2eCheck.java" "http://127.0.0.1:$proxy" \
    "http://127.0.0.1:$prom" "$model" "$seconds" "$root"; then
  echo "--- proxy log";      tail -n 20 "$work/proxy.log"
  echo "--- prometheus log"; tail -n 20 "$work/prometheus.log"
  exit 1
fi
