"""``kangaroo-paw worker``: host the kitchen's Temporal workflows and activities."""

from __future__ import annotations

import argparse
from typing import Any

from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "worker",
        help="temporal worker: allocation passes and the timeout/auto-complete timers",
        description=(
            "Polls KP_TEMPORAL_TASK_QUEUE and runs the AllocationWorkflow, "
            "AssignmentTimeoutWorkflow and AutoCompleteWorkflow and their activities against "
            "the kitchen on PostgreSQL and Redis. Run several to share the load. SIGTERM lets "
            "in-flight activities finish (up to 10 s) before it exits."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.entrypoints.processes import run_until_signalled
    from kangaroo_paw.entrypoints.worker import WorkerProcess

    return run_until_signalled("worker", WorkerProcess(settings))
