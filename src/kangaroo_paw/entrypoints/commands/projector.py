"""``kangaroo-paw projector``: keep the Redis ready queue and the SQL read model current."""

from __future__ import annotations

import argparse
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
    from kangaroo_paw.entrypoints.processes import run_until_signalled
    from kangaroo_paw.entrypoints.projector import ProjectorProcess

    return run_until_signalled("projector", ProjectorProcess(settings))
