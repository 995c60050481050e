"""Group commit on the embedded SQLite store, on vs off side by side: recorder saves/s and
library confirms/s with 1 and 8 threads (promise forecast on and off) and HTTP confirms/s of
``kangaroo-paw serve`` at 1/8/32 clients, in interleaved rounds (every variant once per round,
so the shared machine's drift hits them alike); prints the median of the rounds and on/off
ratios. Writes nothing under bench/results.

    python -m bench.group_commit                       # 3 rounds, library and HTTP
    python -m bench.group_commit --rounds 5 --skip-http
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from bench.http_bench import _run_level, served
from bench.suite_core import mix_orders
from kangaroo_paw.adapters.sqlite.group_commit import GroupCommitApplicationRecorder
from kangaroo_paw.composition import build_embedded
from kangaroo_paw.settings import Settings

Key = tuple[str, str, str, int]  # (level, promise, group commit, threads or clients)
_RUN = itertools.count()


def _switch(on: bool) -> str:
    return "on" if on else "off"


def library(group: bool, promise: bool, threads: int, orders: int) -> tuple[float, float]:
    """Confirms/s of ``orders`` lunch-mix confirms from ``threads`` threads on a fresh seeded
    SQLite kitchen, and the mean saves per transaction (1 without group commit)."""
    with tempfile.TemporaryDirectory(prefix="kp-gc-") as folder:
        settings = Settings(
            data_dir=Path(folder), store="sqlite", promise_on_confirm=promise,
            sqlite_group_commit=group,
        )  # fmt: skip
        emb = build_embedded(settings, seed=True)
        try:
            kitchen = emb.kitchen
            for n, items in enumerate(mix_orders(5, 2)):
                kitchen.confirm_order(items, f"warm-{n}")
            groups = _count_groups(kitchen.recorder)
            batch = mix_orders(orders, 7)
            run = next(_RUN)
            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                for result in pool.map(
                    lambda n: kitchen.confirm_order(batch[n], f"gc-{run}-{n}"), range(orders)
                ):
                    assert result[1]
            elapsed = time.perf_counter() - started
        finally:
            emb.close()
    saves = sum(groups) / len(groups) if groups else 1.0
    return orders / elapsed, saves


def store(group: bool, threads: int, saves: int) -> tuple[float, float]:
    """Saves/s of the recorder alone: ``threads`` threads insert ``saves`` confirm-sized saves
    (8 events of 400 bytes, a new aggregate each) into a fresh SQLite file; the upper bound
    of what group commit can win, with no application code around the save."""
    recorder_class = GroupCommitApplicationRecorder if group else SQLiteApplicationRecorder
    with tempfile.TemporaryDirectory(prefix="kp-gc-store-") as folder:
        datastore = SQLiteDatastore(str(Path(folder) / "events.sqlite"), lock_timeout=30)
        recorder = recorder_class(datastore)
        recorder.create_table()
        groups = _count_groups(recorder)
        state = b"x" * 400
        batches = [[StoredEvent(uuid4(), v, "t", state) for v in range(1, 9)] for _ in range(saves)]
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(recorder.insert_events, batches))
        elapsed = time.perf_counter() - started
        datastore.close()
    return saves / elapsed, (sum(groups) / len(groups) if groups else 1.0)


def _count_groups(recorder: Any) -> list[int]:
    """Record the size of each committed group (bench-only peek at the recorder)."""
    sizes: list[int] = []
    if isinstance(recorder, GroupCommitApplicationRecorder):
        commit = recorder._commit
        lock = threading.Lock()

        def counted(group: list[Any]) -> None:
            with lock:
                sizes.append(len(group))
            commit(group)

        recorder._commit = counted  # type: ignore[method-assign]
    return sizes


async def _http(url: str, levels: list[int], duration: float) -> dict[int, float]:
    run = f"{time.time_ns():x}"

    async def confirm(http: httpx.AsyncClient, n: int) -> None:
        body = {"external_order_id": f"gc-{run}-{n}", "items": {"dip_cup": 1}}
        response = await http.post("/api/v1/orders/confirm", json=body)
        assert response.status_code == 201, response.text

    await _run_level(url, "warm-up", confirm, 4, 1.0)
    rates = {}
    for clients in levels:
        result = await _run_level(url, "confirm", confirm, clients, duration)
        assert result.errors == 0, result
        rates[clients] = result.req_per_s
    return rates


def http(group: bool, promise: bool, levels: list[int], duration: float) -> dict[int, float]:
    env = {
        "KP_SQLITE_GROUP_COMMIT": str(group).lower(),
        "KP_PROMISE_ON_CONFIRM": str(promise).lower(),
    }
    with tempfile.TemporaryDirectory(prefix="kp-gc-http-") as tmp, served(Path(tmp), env) as url:
        return asyncio.run(_http(url, levels, duration))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=160, help="library confirms per run")
    parser.add_argument("--store-saves", type=int, default=800, help="saves per store run")
    parser.add_argument("--threads", default="1,8")
    parser.add_argument("--levels", default="1,8,32", help="HTTP clients")
    parser.add_argument("--duration", type=float, default=3.0, help="HTTP seconds per level")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    levels = [int(c) for c in args.levels.split(",")]
    rates: dict[Key, list[float]] = defaultdict(list)
    saves: dict[Key, list[float]] = defaultdict(list)
    for round_ in range(args.rounds):
        for promise, n, group in itertools.product((False, True), threads, (False, True)):
            key = ("library", _switch(promise), _switch(group), n)
            rate, per_group = library(group, promise, n, args.orders)
            rates[key].append(rate)
            saves[key].append(per_group)
        for n, group in itertools.product(threads, (False, True)):
            key = ("store", "-", _switch(group), n)
            rate, per_group = store(group, n, args.store_saves)
            rates[key].append(rate)
            saves[key].append(per_group)
        if not args.skip_http:
            for promise, group in itertools.product((False, True), (False, True)):
                for clients, rate in http(group, promise, levels, args.duration).items():
                    rates[("http", _switch(promise), _switch(group), clients)].append(rate)
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    print(f"\n{'level':<8} {'promise':>7} {'n':>3} {'off/s':>8} {'on/s':>8} {'on/off':>7} "
          f"{'saves/txn':>9}  (medians of {args.rounds} rounds; then each round)")  # fmt: skip
    for level, forecast, n in sorted({(k[0], k[1], k[3]) for k in rates}):
        off = rates[(level, forecast, "off", n)]
        on = rates[(level, forecast, "on", n)]
        per = saves.get((level, forecast, "on", n))
        print(
            f"{level:<8} {forecast:>7} {n:>3} {statistics.median(off):>8.1f} "
            f"{statistics.median(on):>8.1f} {statistics.median(on) / statistics.median(off):>7.2f} "
            f"{statistics.median(per) if per else float('nan'):>9.2f}  "
            f"on {[round(r) for r in on]} off {[round(r) for r in off]}"
        )


if __name__ == "__main__":
    main()
