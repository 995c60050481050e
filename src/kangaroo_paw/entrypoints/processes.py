"""Running a long-lived service process (relay, projector, consumer, worker) from the CLI."""

from __future__ import annotations

import argparse
import functools
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from kangaroo_paw.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


class ServiceProcess(Protocol):
    """A loop that runs until ``stop()`` is called (from a signal handler)."""

    def run(self) -> None: ...

    def stop(self) -> None: ...


def run_until_signalled(name: str, process: ServiceProcess) -> int:
    """Run ``process``; SIGTERM/SIGINT stop it gracefully. An unmigrated schema is a clear
    message and exit code 2, not a traceback."""
    from kangaroo_paw.adapters.postgres.migrate import NotMigrated

    def stop(signum: int, frame: FrameType | None) -> None:
        process.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        process.run()
    except NotMigrated as exc:
        print(f"kangaroo-paw {name}: {exc}", file=sys.stderr)
        return 2
    return 0


def explained(handler: Handler) -> Handler:
    """A services-mode command whose start-up failures (the schema is not migrated, the
    database is unreachable) are one line on stderr and exit code 2, not a traceback."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        from kangaroo_paw.composition import explain_startup_error

        try:
            return handler(args, settings)
        except Exception as exc:
            reason = explain_startup_error(exc)
            if reason is None:
                raise
            print(f"kangaroo-paw {args.command}: {reason}", file=sys.stderr)
            return 2

    return run


def add_service_command(
    subparsers: Any,
    name: str,
    process: Callable[[Settings], ServiceProcess],
    *,
    help: str,
    description: str,
) -> None:
    """Register ``kangaroo-paw <name>``: build the process from the settings and run it until
    SIGTERM/SIGINT (``process`` imports what it needs, so the CLI starts fast)."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        return run_until_signalled(name, process(settings))

    parser = subparsers.add_parser(name, help=help, description=description)
    parser.set_defaults(handler=explained(run))
