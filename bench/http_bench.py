"""Loopback HTTP benchmark: confirm and GET task against a real ``kangaroo-paw serve``.

Starts ``kangaroo-paw serve`` on a free port with a temporary data dir (embedded mode, the
demo kitchen seeded), then for each concurrency level runs closed-loop clients for a fixed
time, first confirming orders, then reading tasks. Reports p50/p99 latency and throughput as
JSON and as a table. No timing is asserted: numbers depend on the machine.

    .venv/bin/python bench/http_bench.py [--levels 1,16,64] [--duration 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

BENCH_TOKEN = "kp_bench-load-generator-manager"
BENCH_AUTH = {"Authorization": f"Bearer {BENCH_TOKEN}"}
Op = Callable[[httpx.AsyncClient, int], Awaitable[None]]
# Every client of a benchmark is one caller (one address): the per-caller limits are off, so
# what is measured is the server.
UNLIMITED = {
    "KP_RATE_LIMIT_WRITES_PER_SEC": "0",
    "KP_RATE_LIMIT_READS_PER_SEC": "0",
    "KP_MAX_STREAMS_PER_CALLER": "0",
}


@dataclass
class Result:
    operation: str
    clients: int
    requests: int
    errors: int
    seconds: float
    req_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A ``kangaroo-paw serve`` subprocess without per-caller limits; yields its base URL,
    stops it with SIGTERM. ``env`` adds variables (``KP_MODE=services`` and its connection
    settings, ``KP_WORKERS``, say)."""
    port = _free_port()
    command = ["-m", "kangaroo_paw.entrypoints.cli", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir / "var")]
    with serving(command, port, data_dir / "serve.log", env) as url:
        yield url


@contextmanager
def serving(
    command: list[str], port: int, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``python <command>`` listening on ``port``: yields its URL once ``/health/ready``
    answers 200, stops it with SIGTERM."""
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, *command],
        env={
            **os.environ,
            "KP_MODE": "embedded",
            "KP_LOG_FORMAT": "json",
            "KP_BOOTSTRAP_TOKEN": BENCH_TOKEN,
            **UNLIMITED,
            **(env or {}),
        },
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not become ready")
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


_SEQUENCE = itertools.count()  # one across levels: every confirm gets a new external id


async def _run_level(url: str, name: str, op: Op, clients: int, duration: float) -> Result:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=30, headers=BENCH_AUTH
    ) as http:
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    await op(http, next(_SEQUENCE))
                except (httpx.HTTPError, AssertionError):
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - began) * 1000)

        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]
    return Result(
        operation=name,
        clients=clients,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        req_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(ordered), 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        max_ms=round(ordered[-1], 2),
    )


async def run_floor(url: str, levels: list[int], duration: float) -> list[Result]:
    """The same confirm body against ``bench.floor_server`` (confirm only: it keeps nothing
    to read back)."""

    async def confirm(http: httpx.AsyncClient, n: int) -> None:
        body = {"external_order_id": f"floor-{n}", "items": {"dip_cup": 1}}
        response = await http.post("/confirm", json=body)
        assert response.status_code == 201, response.text

    await _run_level(url, "warm-up", confirm, 4, 1.0)
    return [await _run_level(url, "confirm", confirm, c, duration) for c in levels]


async def run(url: str, levels: list[int], duration: float) -> list[Result]:
    task_ids: list[str] = []
    run_id = f"{time.time_ns():x}"

    async def confirm(http: httpx.AsyncClient, n: int) -> None:
        body = {"external_order_id": f"bench-{run_id}-{n}", "items": {"dip_cup": 1}}
        response = await http.post("/api/v1/orders/confirm", json=body)
        assert response.status_code == 201, response.text
        task_ids.append(response.json()["tasks"][0]["task_id"])

    async def get_task(http: httpx.AsyncClient, n: int) -> None:
        response = await http.get(f"/api/v1/tasks/{task_ids[n % len(task_ids)]}")
        assert response.status_code == 200, response.text

    await _run_level(url, "warm-up", confirm, 4, 1.0)
    results = []
    for clients in levels:
        results.append(await _run_level(url, "confirm", confirm, clients, duration))
        results.append(await _run_level(url, "get_task", get_task, clients, duration))
    return results


def table(results: list[Result]) -> str:
    head = f"{'operation':<10} {'clients':>7} {'requests':>9} {'errors':>6} "
    head += f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(
            f"{r.operation:<10} {r.clients:>7} {r.requests:>9} {r.errors:>6} "
            f"{r.req_per_s:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.2f}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,16,64", help="concurrent clients per level")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="kp-bench-") as tmp, served(Path(tmp)) as url:
        results = asyncio.run(run(url, levels, args.duration))
    report = {
        "benchmark": "http_loopback",
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "duration_secs": args.duration,
        "results": [asdict(r) for r in results],
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
