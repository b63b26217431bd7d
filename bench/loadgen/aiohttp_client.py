#!/usr/bin/env python3
"""The usual asyncio/aiohttp streaming client, for comparison with `tokentap run` on the same machine.

N concurrent users, each posting a streamed chat completion, reading the SSE lines, parsing each event's JSON and
timing TTFT and inter-token gaps, then posting the next one, for DURATION seconds after WARMUP seconds (0 when
left out) whose events are not counted. Prints key=value lines for the measured window: events, events per second,
requests, and the process's CPU seconds.

    /usr/bin/python3 bench/loadgen/aiohttp_client.py URL CONCURRENCY DURATION_S MAX_TOKENS [WARMUP_S]
"""
import asyncio
import json
import os
import sys
import time

import aiohttp


async def user(session, url, body, deadline, stats):
    while time.monotonic() < deadline:
        start = time.perf_counter()
        last = None
        async with session.post(url, json=body) as resp:
            async for line in resp.content:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
                    break
                chunk = json.loads(data)
                choices = chunk.get("choices") or []
                if choices and choices[0].get("delta", {}).get("content"):
                    now = time.perf_counter()
                    if last is None:
                        stats["ttft"].append(now - start)
                    else:
                        stats["itl"].append(now - last)
                    last = now
                    stats["events"] += 1
        stats["requests"] += 1


async def main():
    url, concurrency, duration, max_tokens = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    warmup = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    body = {"model": "bench", "stream": True, "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": "stream"}]}
    stats = {"events": 0, "requests": 0, "ttft": [], "itl": []}
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = {"cpu": time.process_time(), "t": time.monotonic(), "events": 0, "requests": 0}
        deadline = start["t"] + warmup + duration

        async def measure_from_now():
            await asyncio.sleep(warmup)
            start.update(cpu=time.process_time(), t=time.monotonic(), events=stats["events"],
                         requests=stats["requests"])

        await asyncio.gather(measure_from_now(),
                             *(user(session, url, body, deadline, stats) for _ in range(concurrency)))
        wall, cpu = time.monotonic() - start["t"], time.process_time() - start["cpu"]
    events, requests = stats["events"] - start["events"], stats["requests"] - start["requests"]
    print(f"events={events}")
    print(f"events_per_s={events / wall:.0f}")
    print(f"requests={requests}")
    print(f"wall_s={wall:.2f}")
    print(f"cpu_s={cpu:.2f}")
    print(f"events_per_cpu_s={events / cpu if cpu else 0:.0f}")


if __name__ == "__main__":
    asyncio.run(main())
