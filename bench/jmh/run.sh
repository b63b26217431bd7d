#!/usr/bin/env bash
# The JMH micro-benchmarks (bench/jmh): decoder events/s per wire format on one thread, and nanoseconds per recorded
# event (timeline, proxy meters). Quick: 1 fork, 1 × 1 s warm-up, 3 × 1 s measured; full: JMH's annotations
# (3 × 1 s warm-up, 5 × 1 s measured). Writes a markdown section to stdout and JMH's JSON to OUT.
#   bench/jmh/run.sh [--quick] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/common.sh
quick=0; [[ "${1:-}" == --quick ]] && { quick=1; shift; }
out="${1:-bench/out}"; mkdir -p "$out"
build_jars
opts=(-f 1); ((quick)) && opts=(-f 1 -wi 1 -w 1 -i 2 -r 1)
java -jar "$BENCH_JAR" "${opts[@]}" -rf json -rff "$out/jmh.json" >"$out/jmh.log" 2>&1
echo "### Micro-benchmarks (JMH, one thread)"
echo
python3 - "$out/jmh.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print("| benchmark | parameter | score | error (99.9%) | unit |")
print("|---|---|---|---|---|")
for r in rows:
    name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
    p = ",".join(f"{v}" for v in (r.get("params") or {}).values())
    m = r["primaryMetric"]
    err = m.get("scoreError")
    err = "—" if err in (None, "NaN") or err != err else f"{err:,.1f}"
    unit = "events/s" if m["scoreUnit"] == "ops/s" else m["scoreUnit"].replace("ns/op", "ns per op")
    print(f"| {name} | {p} | {m['score']:,.1f} | {err} | {unit} |")
PY
