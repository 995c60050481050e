"""``kangaroo-paw projections``: status of the projections, and rebuild by replay."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "projections", help="services-mode projections: status, rebuild from the event store"
    )
    actions = parser.add_subparsers(dest="projections_action", metavar="ACTION", required=True)
    rebuild = actions.add_parser(
        "rebuild",
        help="drop the projections and replay the event store into them",
        description=(
            "Clears the Redis ready queue and/or the SQL read models and replays every stored "
            "event into them. Running projectors pause meanwhile and continue afterwards."
        ),
    )
    rebuild.add_argument(
        "--only", choices=("redis", "sql"), help="rebuild only the Redis queue or the SQL rows"
    )
    rebuild.add_argument("--no-progress", action="store_true", help="no progress bar")
    rebuild.set_defaults(handler=run_rebuild)
    status = actions.add_parser("status", help="position, head and lag of each projection")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=run_status)


def run_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from kangaroo_paw.adapters.postgres.migrate import NotMigrated
    from kangaroo_paw.composition import replay_projections

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.fields[what]:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=args.no_progress,
        transient=False,
    )
    sinks = args.only or "redis+sql"
    with bar:
        stages = {
            "events": bar.add_task(
                "read", total=None, what=f"{sinks}: read the log", unit="events"
            ),
            "aggregates": bar.add_task(
                "project", total=None, what=f"{sinks}: project", unit="orders/tasks"
            ),
        }

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(stages[stage], completed=done, total=max(total, 1))

        try:
            report = replay_projections(settings, args.only, progress)
        except NotMigrated as exc:
            print(f"kangaroo-paw projections: {exc}", file=sys.stderr)
            return 2
    rate = f"{report.events_per_sec:,.0f} events/s"
    print(
        f"rebuilt {'+'.join(report.sinks)}: {report.events} events in {report.seconds:.2f} s "
        f"({rate}); positions {report.positions}"
        + (f"; {report.queue_size} ready task(s) queued" if report.queue_size is not None else "")
    )
    return 0


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.composition import build_services, make_projector

    services = build_services(settings)
    try:
        statuses = make_projector(services).status()
    finally:
        services.close()
    if args.json:
        rows = [
            {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag} for s in statuses
        ]
        print(json.dumps(rows))
    else:
        for s in statuses:
            print(f"{s.name:<6} position {s.position:>8}  head {s.head:>8}  lag {s.lag}")
    return 0
