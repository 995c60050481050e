"""Event-store benchmark: append rate through eventsourcing's PostgreSQL recorder next to a
raw psycopg batch insert of the same rows (ratio), and replay/rebuild speed in events/s.

    python -m bench store             (the harness; --size tiny|small|full)
    python -m bench.suite_store [--orders 500] [--rounds 5]

A workload of confirmed (and some cancelled) orders runs through the Kitchen on PostgreSQL;
every batch the recorder inserts is captured. The same batches (same rows, one transaction
each) are then appended to fresh schemas twice: through the recorder (table lock, NOTIFY,
composite-type unnest — what the application pays) and through plain psycopg
``executemany`` in a transaction. Benchmarks report; they assert nothing.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from bench.common import metric, pick
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate
from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.projector import Projector
from kangaroo_paw.composition import build_services
from kangaroo_paw.settings import Settings

SERVICES = ("postgres",)
ITEMS = ("burger_combo", "wrap", "cold_coffee", "dip_cup")
RAW_INSERT = (
    "INSERT INTO kitchen_events (originator_id, originator_version, topic, state)"
    " VALUES (%s, %s, %s, %s)"
)


def fresh(tag: str) -> Settings:
    settings = Settings.from_env(postgres_schema=f"kp_bench_{tag}_{uuid.uuid4().hex[:8]}")
    migrate(settings)
    return settings


def capture_workload(settings: Settings, orders: int) -> tuple[list[Sequence[Any]], float]:
    """Run the workload; return the recorder's insert batches and the confirm wall time."""
    services = build_services(settings, with_queue=False)
    try:
        recorder: Any = services.kitchen.recorder
        batches: list[Sequence[Any]] = []
        insert = recorder.insert_events

        def capturing(stored_events: Sequence[Any], **kwargs: Any) -> Any:
            batches.append(list(stored_events))
            return insert(stored_events, **kwargs)

        recorder.insert_events = capturing
        seed_demo_kitchen(services.kitchen)
        started = time.perf_counter()
        for n in range(orders):
            items = {ITEMS[n % 4]: 1 + n % 2, ITEMS[(n + 1) % 4]: 1}
            view, _ = services.kitchen.confirm_order(items, f"bench-{n}")
            if n % 10 == 9:
                services.kitchen.cancel_order(view.order_id, "bench")
        elapsed = time.perf_counter() - started
        recorder.insert_events = insert
        return batches, elapsed
    finally:
        services.close()


def append_via_recorder(batches: list[Sequence[Any]]) -> float:
    settings = fresh("rec")
    services = build_services(settings, with_queue=False)
    try:
        recorder: Any = services.kitchen.recorder
        recorder.insert_events(batches[0])  # warm the pool and prepared statements
        started = time.perf_counter()
        for batch in batches[1:]:
            recorder.insert_events(batch)
        return time.perf_counter() - started
    finally:
        services.close()
        drop_schema(settings)


def append_via_psycopg(batches: list[Sequence[Any]]) -> float:
    settings = fresh("raw")
    try:
        with connect(settings, "bench-raw", autocommit=True) as conn:
            rows = [
                [(e.originator_id, e.originator_version, e.topic, e.state) for e in batch]
                for batch in batches
            ]
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(RAW_INSERT, rows[0])
            started = time.perf_counter()
            for batch in rows[1:]:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(RAW_INSERT, batch)
            return time.perf_counter() - started
    finally:
        drop_schema(settings)


def replay(settings: Settings) -> tuple[int, float, int, float]:
    """(events, seconds) to read the log as envelopes, and to rebuild the projections."""
    services = build_services(settings, with_queue=False)
    read_model = PostgresReadModel.from_settings(settings)
    try:
        head = services.kitchen.head_position()
        started = time.perf_counter()
        position, events = 0, 0
        while position < head:
            batch = services.kitchen.event_log(position, 500)
            events += len(batch)
            position = batch[-1].notification_id
        read_secs = time.perf_counter() - started
        projector = Projector(services.kitchen, queue=InMemoryReadyQueue(), read_model=read_model)
        started = time.perf_counter()
        rebuilt = projector.rebuild()
        rebuild_secs = time.perf_counter() - started
        return events, read_secs, rebuilt, rebuild_secs
    finally:
        read_model.close()
        services.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = getattr(args, "size", "full")
    orders = int(getattr(args, "orders", None) or pick(size, 20, 200, 500))
    rounds = int(getattr(args, "rounds", None) or pick(size, 1, 3, 5))
    settings = fresh("wl")
    recorder_rates: list[float] = []
    raw_rates: list[float] = []
    ratios: list[float] = []
    try:
        batches, confirm_secs = capture_workload(settings, orders)
        events = sum(len(b) for b in batches[1:])
        for _ in range(rounds):  # interleaved and paired: both see the same machine noise
            recorder = events / append_via_recorder(batches)
            raw = events / append_via_psycopg(batches)
            recorder_rates.append(recorder)
            raw_rates.append(raw)
            ratios.append(recorder / raw)
        replayed, read_secs, rebuilt, rebuild_secs = replay(settings)
    finally:
        drop_schema(settings)
    confirm_events = sum(len(b) for b in batches) - len(batches[0])
    per_txn = events / max(1, len(batches) - 1)
    return {
        "metrics": [
            metric("append via the eventsourcing recorder", recorder_rates, "events/s"),
            metric("raw psycopg executemany, same rows and transactions", raw_rates, "events/s"),
            metric("recorder / raw append ratio", ratios, "ratio"),
            metric(
                "confirm_order end to end (domain + store)",
                [confirm_events / confirm_secs],
                "events/s",
            ),
            metric("replay: read the log as envelopes", [replayed / read_secs], "events/s"),
            metric(
                "rebuild: projector into queue + SQL read model",
                [rebuilt / rebuild_secs],
                "events/s",
            ),
        ],
        "notes": [
            f"{orders} orders → {events} events in {len(batches) - 1} transactions "
            f"({per_txn:.1f} events each), captured from the Kitchen on PostgreSQL and "
            "appended again to fresh schemas.",
            "The recorder takes the table lock (commit-ordered notification ids), NOTIFYs and "
            "unnests a composite-type array; the raw baseline only inserts the same rows.",
            "The rebuild uses an in-memory ready queue (no Redis) and the PostgreSQL read "
            "model; bench/rebuild.py times `projections rebuild` with Redis.",
        ],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=("tiny", "small", "full"), default="full")
    parser.add_argument("--orders", type=int)
    parser.add_argument("--rounds", type=int)
    result = run(parser.parse_args(argv))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
