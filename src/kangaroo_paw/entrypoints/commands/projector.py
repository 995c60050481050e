"""``kangaroo-paw projector``: keep the Redis ready queue and the SQL read model current."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import Any

from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "projector",
        help="projector: follow the PostgreSQL event log into the Redis queue and read models",
        description=(
            "Projects every stored event into the Redis ready queue (KP_REDIS_PREFIX) and the "
            "PostgreSQL read models, each with its position stored atomically with its change. "
            "Woken by LISTEN/NOTIFY, polls every KP_RELAY_POLL_SECS. Safe to run several "
            "(passes take turns) and to kill at any point. SIGTERM stops after the pass."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.adapters.postgres.migrate import NotMigrated
    from kangaroo_paw.entrypoints.projector import ProjectorProcess

    process = ProjectorProcess(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        process.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        process.run()
    except NotMigrated as exc:
        print(f"kangaroo-paw projector: {exc}", file=sys.stderr)
        return 2
    return 0
