"""``kangaroo-paw seed``: put the demo kitchen into an empty store, the one the mode uses (the
embedded SQLite file, or PostgreSQL with ``KP_MODE=services``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import DataDirLocked, build_embedded, build_services
from kangaroo_paw.entrypoints.processes import explained
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "seed",
        help="seed the demo kitchen (counters, machines, cooks, recipes) if the store is empty",
        description=(
            "Seeds the demo kitchen into an empty event store: the SQLite file under "
            "KP_DATA_DIR, or with KP_MODE=services the PostgreSQL store (KP_DATABASE_URL, "
            "KP_POSTGRES_SCHEMA; run `kangaroo-paw db migrate` first). A store that already "
            "has counters or cooks is left as is."
        ),
    )
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (KP_DATA_DIR)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.mode == "services":
        return run_services(args, settings)
    settings = Settings.from_env(data_dir=args.data_dir)
    try:
        embedded = build_embedded(settings, seed=False)
    except DataDirLocked as exc:
        print(f"kangaroo-paw seed: {exc}", file=sys.stderr)
        return 2
    try:
        seeded = seed_demo_kitchen(embedded.kitchen)
    finally:
        embedded.close()
    report(seeded, str(settings.sqlite_path))
    return 0


@explained
def run_services(args: argparse.Namespace, settings: Settings) -> int:
    """Seed the PostgreSQL store; the projector puts the seeded kitchen in the read models."""
    if args.data_dir is not None:
        print("kangaroo-paw seed: --data-dir is for the embedded mode", file=sys.stderr)
        return 2
    services = build_services(settings, with_queue=False)
    try:
        seeded = seed_demo_kitchen(services.kitchen)
    finally:
        services.close()
    url = urlparse(settings.database_url)
    report(
        seeded,
        f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path} schema {settings.postgres_schema}",
    )
    return 0


def report(seeded: bool, where: str) -> None:
    print(
        f"seeded the demo kitchen into {where}" if seeded else f"{where} is not empty; left as is"
    )
