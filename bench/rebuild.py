"""Rebuild speed of the services-mode projections, in events/s.

    python -m bench.rebuild [--orders 400] [--keep]

Fills a fresh schema and Redis prefix with a full-lifecycle workload (confirm, allocate,
start, complete, some cancels) through the Kitchen on PostgreSQL, then times
``kangaroo-paw projections rebuild`` (the command itself, as an operator runs it) for both
sinks and for each alone. Benchmarks report; they assert nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import subprocess
import sys
import time
import uuid

from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import Services, build_services, make_projector
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.settings import Settings

ITEMS = ("burger_combo", "wrap", "cold_coffee", "dip_cup")
RESULT = re.compile(r"(\d+) events in ([\d.]+) s \(([\d,]+) events/s\)")


def fill(services: Services, orders: int, seed: int = 11) -> None:
    """Drive orders through their whole lifecycle, projecting as the allocator needs."""
    kitchen = services.kitchen
    projector = make_projector(services)
    rng = random.Random(seed)
    placed = []
    for n in range(orders):
        items = {rng.choice(ITEMS): rng.randint(1, 2) for _ in range(rng.randint(1, 2))}
        view, _ = kitchen.confirm_order(items, f"bench-{n}")
        placed.append(view.order_id)
        if n % 20 == 19:
            with contextlib.suppress(KitchenError):
                kitchen.cancel_order(rng.choice(placed), "bench")
        if n % 4 == 3 or n == orders - 1:
            for _ in range(20):  # work the kitchen down before the next orders arrive
                projector.drain()
                assigned = kitchen.allocate().assigned
                if not assigned:
                    break
                for a in assigned:
                    kitchen.start_task(a.task_id)
                    kitchen.complete_task(a.task_id)
    projector.drain()


def rebuild_command(settings: Settings, only: str | None) -> tuple[int, float, float]:
    env = dict(os.environ)
    env.update(KP_POSTGRES_SCHEMA=settings.postgres_schema, KP_REDIS_PREFIX=settings.redis_prefix)
    args = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "projections", "rebuild"]
    args += ["--no-progress"] + (["--only", only] if only else [])
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    match = RESULT.search(done.stdout)
    if match is None:
        raise RuntimeError(f"unexpected output: {done.stdout!r} {done.stderr!r}")
    events, secs, rate = match.groups()
    return int(events), float(secs), float(rate.replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the schema and Redis keys")
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:8]
    settings = Settings.from_env(
        postgres_schema=f"kp_bench_{tag}", redis_prefix=f"kp-bench-{tag}:", seed_demo=False
    )
    migrate(settings)
    services = build_services(settings)
    try:
        seed_demo_kitchen(services.kitchen)
        started = time.perf_counter()
        fill(services, args.orders)
        filled = time.perf_counter() - started
        head = services.kitchen.head_position()
        print(f"workload: {args.orders} orders, {head} events in {filled:.1f} s")
        for only in (None, "redis", "sql"):
            events, secs, rate = rebuild_command(settings, only)
            label = only or "redis+sql"
            print(f"rebuild {label:<9}: {events} events in {secs:.2f} s = {rate:,.0f} events/s")
    finally:
        if not args.keep:
            client = getattr(services.queue, "client", None)
            if client is not None:
                keys = list(client.scan_iter(match=f"{settings.redis_prefix}*"))
                if keys:
                    client.delete(*keys)
        services.close()
        if not args.keep:
            drop_schema(settings)
        else:
            print(f"kept schema {settings.postgres_schema}, prefix {settings.redis_prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
