"""``kangaroo-paw seed``: put the demo kitchen into an empty embedded store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import DataDirLocked, build_embedded
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "seed", help="seed the demo kitchen (counters, machines, cooks, recipes) if empty"
    )
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (KP_DATA_DIR)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
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
    where = settings.sqlite_path
    print(
        f"seeded the demo kitchen into {where}" if seeded else f"{where} is not empty; left as is"
    )
    return 0
