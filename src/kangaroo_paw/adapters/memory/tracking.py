"""InMemoryPositionStore: the in-process twin of the durable relay position."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from kangaroo_paw.ports.tracking import PositionStore, TrackingState


class InMemoryPositionStore(PositionStore):
    """A forward-only position with a failure record, held in memory."""

    def __init__(self, position: int = 0) -> None:
        self._state = TrackingState(position=position)
        self._lock = threading.Lock()

    def get(self) -> int:
        return self._state.position

    def advance(self, position: int) -> None:
        with self._lock:
            self._state = TrackingState(
                position=max(self._state.position, position), updated_at=datetime.now(UTC)
            )

    def record_failure(self, error: str) -> int:
        with self._lock:
            attempts = self._state.attempts + 1
            self._state = TrackingState(
                self._state.position, attempts, error, updated_at=datetime.now(UTC)
            )
            return attempts

    def state(self) -> TrackingState:
        return self._state
