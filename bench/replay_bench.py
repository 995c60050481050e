"""Stream replay benchmark: do many ``/api/v1/stream?after=0`` replays slow other requests?

Starts ``kangaroo-paw serve`` (embedded, demo kitchen) with the per-caller limits off, fills
the log to ``--events`` events with orders, then opens ``--streams`` concurrent replays of
the whole log (read by a child process, so parsing them does not slow the probe) while a
probe reads one task every 20 ms. Reports the probe's latency before and during the replays
and how long the replays took. No timing is asserted.

    .venv/bin/python bench/replay_bench.py [--events 2000] [--streams 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.http_bench import served


async def _fill(http: httpx.AsyncClient, events: int) -> tuple[int, str]:
    task_id = ""
    while (head := await _head(http)) < events:
        response = await http.post("/api/v1/orders/confirm", json={"items": {"burger_combo": 2}})
        response.raise_for_status()
        task_id = task_id or response.json()["tasks"][0]["task_id"]
    return head, task_id


async def _head(http: httpx.AsyncClient) -> int:
    ready = (await http.get("/health/ready")).json()
    return int(ready["components"]["event_store"]["detail"]["head"])


async def _probe(http: httpx.AsyncClient, task_id: str, until: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    while not until.is_set():
        began = time.perf_counter()
        (await http.get(f"/api/v1/tasks/{task_id}")).raise_for_status()
        latencies.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.02)
    return latencies


def _replays(url: str, head: int, streams: int) -> list[float]:
    async def all_of_them() -> list[float]:
        return list(await asyncio.gather(*(_replay(url, head) for _ in range(streams))))

    return asyncio.run(all_of_them())


async def _replay(url: str, head: int) -> float:
    began = time.perf_counter()
    seen = 0
    async with (
        httpx.AsyncClient(base_url=url, timeout=120) as http,
        http.stream("GET", "/api/v1/stream", params={"after": 0}) as response,
    ):
        response.raise_for_status()
        async for line in response.aiter_lines():
            seen += line.startswith("id:")
            if seen >= head:
                break
    return time.perf_counter() - began


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples) or [0.0]
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def run(url: str, events: int, streams: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        head, task_id = await _fill(http, events)
        quiet = asyncio.Event()
        probe = asyncio.create_task(_probe(http, task_id, quiet))
        await asyncio.sleep(2)
        quiet.set()
        before = await probe
        busy = asyncio.Event()
        probe = asyncio.create_task(_probe(http, task_id, busy))
        with ProcessPoolExecutor(1) as pool:
            replays = await asyncio.get_running_loop().run_in_executor(
                pool, _replays, url, head, streams
            )
        busy.set()
        during = await probe
    return {
        "events": head,
        "streams": streams,
        "probe_before": _stats(before),
        "probe_during": _stats(during),
        "replay_secs": {
            "median": round(statistics.median(replays), 2),
            "max": round(max(replays), 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="log size to replay")
    parser.add_argument("--streams", type=int, default=50, help="concurrent replays")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kp-bench-") as tmp, served(Path(tmp)) as url:
        report = asyncio.run(run(url, args.events, args.streams))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
