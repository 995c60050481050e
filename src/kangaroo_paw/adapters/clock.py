"""Clock adapters: the wall clock, and a manual clock for tests and simulation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from kangaroo_paw.ports.clock import Clock


class SystemClock(Clock):
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """Time that moves only when told to (tests, the simulator)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError("a clock does not run backwards")
            self._now = when
