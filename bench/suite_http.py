"""http: confirm and GET task under 1, 16 and 64 concurrent loopback clients against a real
``kangaroo-paw serve``, in the embedded mode and (when PostgreSQL and Redis are up) in the
services mode; p50/p99 latency and requests per second."""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.common import pick
from bench.http_bench import Result, served
from bench.http_bench import run as run_levels
from kangaroo_paw.settings import Settings


def _reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def _services_env(schema: str) -> dict[str, str]:
    """A fresh, migrated schema and Redis prefix, so the run neither sees nor leaves data."""
    env = {
        "KP_MODE": "services",
        "KP_POSTGRES_SCHEMA": schema,
        "KP_REDIS_PREFIX": f"{schema}:",
        "KP_SEED_DEMO": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "db", "migrate"],
        env={**_base_env(), **env},
        check=True,
        capture_output=True,
    )
    return env


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(Settings.from_env().database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _measure(env: dict[str, str] | None, levels: list[int], duration: float) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="kp-bench-http-") as tmp, served(Path(tmp), env) as url:
        return asyncio.run(run_levels(url, levels, duration))


def _rows(mode: str, results: list[Result]) -> list[list[Any]]:
    return [
        [mode, r.operation, r.clients, r.requests, r.errors, r.req_per_s, r.p50_ms, r.p99_ms]
        for r in results
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = getattr(args, "size", "full")
    levels = pick(size, [1, 4], [1, 16], [1, 16, 64])
    duration = float(pick(size, 0.5, 2.0, 5.0))
    results = {"embedded": _measure(None, levels, duration)}
    notes = [
        f"{duration:g} s per level after a 1 s warm-up; confirm = one dip_cup order (1 task), "
        "GET task = one of the confirmed tasks; clients and server share the 2 cores.",
    ]
    settings = Settings.from_env()
    pg = settings.database_url.rsplit("@", 1)[-1].split("/")[0]
    redis = settings.redis_url.split("//", 1)[-1].split("/")[0]
    endpoints = [(h, int(p)) for h, _, p in (a.rpartition(":") for a in (pg, redis))]
    if all(_reachable(e) for e in endpoints):
        schema = f"bench_http_{uuid.uuid4().hex[:8]}"
        try:
            results["services"] = _measure(_services_env(schema), levels, duration)
        finally:
            _drop(schema)
        notes.append("services mode: PostgreSQL store + Redis queue, no relay/projector load.")
    else:
        notes.append("services mode skipped: PostgreSQL or Redis is not reachable.")
    columns = ["mode", "operation", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
    rows = [row for mode, found in results.items() for row in _rows(mode, found)]
    return {
        "tables": {"HTTP over loopback": {"columns": columns, "rows": rows}},
        "raw": {mode: [asdict(r) for r in found] for mode, found in results.items()},
        "notes": notes,
    }
