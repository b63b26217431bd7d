#!/usr/bin/env bash
# The whole benchmark suite in one go on this machine: JMH micro-benchmarks, relay overhead against nginx and
# HAProxy, measurement accuracy, load-generator capacity against a Python aiohttp client, the CPU of a rejected
# request against nginx's, memory under slow clients.
# Replaces the results block of docs/benchmarks.md (between its two markers) with this run's figures and the
# machine's details; raw outputs stay in bench/out/.
#   bench/run-all.sh [--quick]     (--quick: 8-10 minutes on a shared 2-core machine; full: about 30)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/common.sh
mode=(); [[ "${1:-}" == --quick ]] && mode=(--quick)
out=bench/out; rm -rf "$out"; mkdir -p "$out"
t0=$(date +%s)
build_jars; install_tools; raise_nofile
export BENCH_SKIP_BUILD=1

{
    echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/run-all.sh ${mode[*]:-}\`, git $(git rev-parse --short HEAD)."
    echo "The machine was shared with other builds while it ran, so absolute figures are noisy; the paths and clients"
    echo "compared in each table ran back to back in this one run, and the ratios are between them."
    echo
    machine_details
    echo
} >"$out/00-machine.md"

bench/jmh/run.sh "${mode[@]}" "$out" >"$out/10-jmh.md"
bench/relay/run.sh "${mode[@]}" "$out" >"$out/20-relay.md"
bench/accuracy/run.sh "${mode[@]}" "$out" >"$out/30-accuracy.md"
bench/loadgen/run.sh "${mode[@]}" "$out" >"$out/40-loadgen.md"
bench/reject/run.sh "${mode[@]}" "$out" >"$out/45-reject.md"
bench/memory/slow-clients.sh "${mode[@]}" "$out" >"$out/50-memory.md"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); the suite took $(( $(date +%s) - t0 )) s." >"$out/90-end.md"

doc=docs/benchmarks.md
begin='<!-- results:begin (bench/run-all.sh writes this block) -->'
end='<!-- results:end -->'
if ! grep -qF "$begin" "$doc" 2>/dev/null; then
    printf '# Benchmarks\n\n%s\n%s\n' "$begin" "$end" >>"$doc"
fi
results=$(for f in "$out"/[0-9]*.md; do cat "$f"; echo; done)
python3 - "$doc" "$begin" "$end" "$results" <<'PY'
import sys
doc, begin, end, results = sys.argv[1:5]
text = open(doc).read()
a = text.index(begin) + len(begin)
b = text.index(end)
open(doc, "w").write(text[:a] + "\n" + results.rstrip() + "\n" + text[b:])
PY
echo "results written to $doc ($(( $(date +%s) - t0 )) s)"
