#!/usr/bin/env python3
"""Prints key=value lines from a `tokentap run` results.json (first stage): the figures bench/loadgen/run.sh reports."""
import json
import sys

stage = json.load(open(sys.argv[1]))["stages"][0]
s = stage["summary"]
print(f"requests={stage['requests']}")
print(f"errors={stage['errors']}")
print(f"events_per_s={s['output_tokens_per_s']:.0f}")
print(f"requests_per_s={s['requests_per_s']:.1f}")
print(f"events={stage['tokens']['output']}")
print(f"duration_s={stage['duration_s']:.2f}")
print(f"cpu_s={stage.get('client_cpu_s', float('nan'))}")
print(f"client_bound={str(stage['client_bound']).lower()}")
print(f"client_bound_reason={stage.get('client_bound_reason') or ''}")
for m in ("schedule_lag_ms", "loop_lag_ms", "ttft_ms"):
    for q in ("p50", "p99", "max"):
        print(f"{m[:-3]}_{q}_ms={s[m].get(q, float('nan'))}")
