"""Running a long-lived service process (relay, projector, consumer, worker) from the CLI."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Protocol


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
