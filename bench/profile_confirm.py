"""Where a library confirm spends its time: cProfile over N confirms of the lunch mix on a
seeded demo kitchen, per store (memory, SQLite, PostgreSQL) and with the promise forecast on
and off (KP_PROMISE_ON_CONFIRM). Prints orders/s and the top functions by own and cumulative
time. Unprofiled orders/s come from ``python -m bench core``; cProfile slows Python code, so
read the shares, not the absolute numbers.

    python -m bench.profile_confirm                      # sqlite and postgres, promise off/on
    python -m bench.profile_confirm --stores memory --orders 300 --top 30
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.suite_core import mix_orders
from kangaroo_paw.composition import EmbeddedKitchen, build_embedded
from kangaroo_paw.settings import Settings


@contextmanager
def kitchen(store: str, promise: bool) -> Iterator[EmbeddedKitchen]:
    """A seeded demo kitchen on ``store``; PostgreSQL gets a fresh schema, dropped after."""
    with tempfile.TemporaryDirectory(prefix="kp-profile-") as folder:
        settings = Settings.from_env(
            data_dir=Path(folder),
            store=store,
            promise_on_confirm=promise,
            postgres_schema=f"kp_profile_{uuid.uuid4().hex[:10]}",
        )
        if store == "postgres":
            from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate

            migrate(settings)
        emb = build_embedded(settings, seed=True)
        try:
            yield emb
        finally:
            emb.close()
            if store == "postgres":
                drop_schema(settings)


def profile(store: str, promise: bool, orders: int, top: int, seed: int) -> str:
    batch = mix_orders(orders, seed)
    with kitchen(store, promise) as emb:
        # Warm up (imports, first loads into the aggregate cache) outside the profile.
        for n, items in enumerate(mix_orders(5, seed + 1)):
            emb.kitchen.confirm_order(items, f"warm-{n}")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for n, items in enumerate(batch):
            emb.kitchen.confirm_order(items, f"profile-{n}")
        profiler.disable()
        elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"== {store}, promise {'on' if promise else 'off'}: {orders} confirms, ")
    out.write(f"{orders / elapsed:.1f} orders/s under the profiler ==\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--promise", nargs="+", choices=["off", "on"], default=["off", "on"])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for store in args.stores:
        for promise in args.promise:
            print(profile(store, promise == "on", args.orders, args.top, args.seed))


if __name__ == "__main__":
    main()
