"""``kangaroo-paw projector``: keep the Redis ready queue and the SQL read model current."""

from __future__ import annotations

from typing import Any

from kangaroo_paw.entrypoints.processes import ServiceProcess, add_service_command
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    add_service_command(
        subparsers,
        "projector",
        _process,
        help="projector: follow the PostgreSQL event log into the Redis queue and read models",
        description=(
            "Projects every stored event into the Redis ready queue (KP_REDIS_PREFIX) and the "
            "PostgreSQL read models, each with its position stored atomically with its change. "
            "Woken by LISTEN/NOTIFY, polls every KP_RELAY_POLL_SECS. Safe to run several "
            "(passes take turns) and to kill at any point. SIGTERM stops after the pass."
        ),
    )


def _process(settings: Settings) -> ServiceProcess:
    from kangaroo_paw.entrypoints.projector import ProjectorProcess

    return ProjectorProcess(settings)
