"""``kangaroo-paw worker``: host the kitchen's Temporal workflows and activities."""

from __future__ import annotations

from typing import Any

from kangaroo_paw.entrypoints.processes import ServiceProcess, add_service_command
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    add_service_command(
        subparsers,
        "worker",
        _process,
        help="temporal worker: allocation passes and the timeout/auto-complete timers",
        description=(
            "Polls KP_TEMPORAL_TASK_QUEUE and runs the AllocationWorkflow, "
            "AssignmentTimeoutWorkflow and AutoCompleteWorkflow and their activities against "
            "the kitchen on PostgreSQL and Redis. Run several to share the load. SIGTERM lets "
            "in-flight activities finish (up to 10 s) before it exits."
        ),
    )


def _process(settings: Settings) -> ServiceProcess:
    from kangaroo_paw.entrypoints.worker import WorkerProcess

    return WorkerProcess(settings)
