"""http: confirm and GET task under 1, 8 and 32 concurrent loopback clients against a real
``kangaroo-paw serve``, in the embedded mode and (when PostgreSQL and Redis are up) in the
services mode with 1 and 2 worker processes, beside the floor: a bare handler writing the same
rows with psycopg in one transaction (``bench/floor_server.py``), with 1 and 2 workers; p50/p99
latency, requests per second, and our confirm rate over the floor's in the same run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.common import pick
from bench.http_bench import BENCH_AUTH, Result, _free_port, run_floor, served, serving
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
    return dict(os.environ)


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(Settings.from_env().database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


ROOT = Path(__file__).resolve().parent.parent
FLOOR = "floor (psycopg)"
# A confirm without the promise's forward simulation (the setting a kitchen that wants raw
# confirm throughput would choose): the rest of the write path alone.
PROMISE_OFF = {"KP_PROMISE_ON_CONFIRM": "false"}


def _measure(env: dict[str, str] | None, levels: list[int], duration: float) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="kp-bench-http-") as tmp, served(Path(tmp), env) as url:
        return asyncio.run(run_levels(url, levels, duration))


def _connect(schema: str) -> Any:
    import psycopg

    url = Settings.from_env().database_url
    return psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}")


def _probe_rows(env: dict[str, str], schema: str) -> list[list[Any]]:
    """The stored-event rows ONE confirm of the benchmark's body writes (the floor writes the
    same): ``[aggregate_no, version, topic, state_hex]``."""
    import httpx

    with (
        tempfile.TemporaryDirectory(prefix="kp-bench-probe-") as tmp,
        served(Path(tmp), env) as url,
        _connect(schema) as conn,
    ):
        (last,) = conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM kitchen_events"
        ).fetchone()
        body = {"external_order_id": f"probe-{uuid.uuid4().hex}", "items": {"dip_cup": 1}}
        response = httpx.post(f"{url}/api/v1/orders/confirm", json=body, headers=BENCH_AUTH)
        assert response.status_code == 201, response.text
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM kitchen_events "
            "WHERE notification_id > %s ORDER BY notification_id",
            (last,),
        ).fetchall()
    numbers: dict[Any, int] = {}
    return [
        [numbers.setdefault(oid, len(numbers)), version, topic, bytes(state).hex()]
        for oid, version, topic, state in rows
    ]


def _measure_floor(
    env: dict[str, str],
    schema: str,
    rows: list[list[Any]],
    workers: int,
    levels: list[int],
    duration: float,
) -> list[Result]:
    with _connect(schema) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS floor_events (LIKE kitchen_events INCLUDING ALL)")
    with tempfile.TemporaryDirectory(prefix="kp-bench-floor-") as tmp:
        path = Path(tmp) / "rows.json"
        path.write_text(json.dumps(rows))
        port = _free_port()
        python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        floor_env = {**env, "FLOOR_ROWS": str(path), "PYTHONPATH": python_path}
        command = ["-m", "bench.floor_server", str(port), str(workers)]
        with serving(command, port, Path(tmp) / "floor.log", floor_env) as url:
            return asyncio.run(run_floor(url, levels, duration))


def _confirm_rates(results: list[Result]) -> dict[int, float]:
    return {r.clients: r.req_per_s for r in results if r.operation == "confirm"}


def _ratio(ours: float | None, floor: float | None) -> float | None:
    return round(ours / floor, 3) if ours and floor else None


def _ratio_tables(results: dict[str, list[Result]], levels: list[int]) -> dict[str, Any]:
    """Our confirm rate over the floor's (same clients, same workers), and each mode's rate
    at N clients over its rate at 1 client."""
    rates = {mode: _confirm_rates(found) for mode, found in results.items()}
    pairs = [
        ("embedded", FLOOR),
        ("services", FLOOR),
        ("services, promise off", FLOOR),
        ("services, 2 workers", f"{FLOOR}, 2 workers"),
    ]
    floor_rows = [
        [ours, clients, rates[ours][clients], rates[floor][clients],
         _ratio(rates[ours][clients], rates[floor][clients])]
        for ours, floor in pairs
        if ours in rates and floor in rates
        for clients in levels
    ]  # fmt: skip
    scaling_rows = [
        [mode, clients, by_clients[clients], _ratio(by_clients[clients], by_clients[levels[0]])]
        for mode, by_clients in rates.items()
        for clients in levels[1:]
    ]
    return {
        "Confirm rate over the floor (same run)": {
            "columns": ["mode", "clients", "confirm/s", "floor/s", "ours / floor"],
            "rows": floor_rows,
        },
        f"Confirm rate at N clients over {levels[0]} client": {
            "columns": ["mode", "clients", "confirm/s", f"over {levels[0]} client"],
            "rows": scaling_rows,
        },
    }


def _rows(mode: str, results: list[Result]) -> list[list[Any]]:
    return [
        [mode, r.operation, r.clients, r.requests, r.errors, r.req_per_s, r.p50_ms, r.p99_ms]
        for r in results
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = getattr(args, "size", "full")
    levels = pick(size, [1, 4], [1, 8], [1, 8, 32])
    duration = float(pick(size, 0.5, 2.0, 5.0))
    results = {"embedded": _measure(None, levels, duration)}
    results["embedded, promise off"] = _measure(PROMISE_OFF, levels, duration)
    notes = [
        f"{duration:g} s per level after a 1 s warm-up; confirm = one dip_cup order (1 task), "
        "GET task = one of the confirmed tasks; clients and server share the 2 cores.",
        "Confirmed orders stay open (no cook starts them), so each confirm's promise "
        "forecasts all the open work before it: later levels pay for earlier ones. "
        "'promise off' = KP_PROMISE_ON_CONFIRM=false (no forecast; orders carry no promise).",
    ]
    settings = Settings.from_env()
    pg = settings.database_url.rsplit("@", 1)[-1].split("/")[0]
    redis = settings.redis_url.split("//", 1)[-1].split("/")[0]
    endpoints = [(h, int(p)) for h, _, p in (a.rpartition(":") for a in (pg, redis))]
    if all(_reachable(e) for e in endpoints):
        # A fresh schema per mode: the confirmed orders stay open (nobody cooks them) and the
        # promise forecast of a confirm grows with the open work, so a mode must not inherit
        # the previous mode's orders.
        variants = {
            "services": {},
            "services, promise off": PROMISE_OFF,
            "services, 2 workers": {"KP_WORKERS": "2"},
        }
        for mode, extra in variants.items():
            schema = f"bench_http_{uuid.uuid4().hex[:8]}"
            try:
                env = _services_env(schema)
                results[mode] = _measure({**env, **extra}, levels, duration)
                if mode == "services":
                    rows = _probe_rows(env, schema)
                    for workers, floor in ((1, FLOOR), (2, f"{FLOOR}, 2 workers")):
                        found = _measure_floor(env, schema, rows, workers, levels, duration)
                        results[floor] = found
            finally:
                _drop(schema)
        notes.append(
            "services mode: PostgreSQL store + Redis queue, no relay/projector load; "
            "KP_WORKERS=2 runs two API worker processes on one socket; each services mode "
            "on a fresh schema."
        )
        notes.append(
            f"floor: a bare ASGI handler under the same uvicorn that inserts the {len(rows)} "
            "stored-event rows one confirm of the same body wrote (same topics and state bytes, "
            "fresh ids) into a copy of kitchen_events in one transaction, plus a NOTIFY; "
            "psycopg pool of KP_POSTGRES_POOL_SIZE per worker."
        )
    else:
        notes.append("services mode skipped: PostgreSQL or Redis is not reachable.")
    columns = ["mode", "operation", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
    rows = [row for mode, found in results.items() for row in _rows(mode, found)]
    return {
        "tables": {
            "HTTP over loopback": {"columns": columns, "rows": rows},
            **_ratio_tables(results, levels),
        },
        "raw": {mode: [asdict(r) for r in found] for mode, found in results.items()},
        "notes": notes,
    }
