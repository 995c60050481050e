"""PostgresPositionStore: the relay's durable position and failure record (``relay_tracking``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kangaroo_paw.ports.tracking import PositionStore, TrackingState

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

_ENSURE = "INSERT INTO relay_tracking (name) VALUES (%s) ON CONFLICT (name) DO NOTHING"
_ADVANCE = (
    "UPDATE relay_tracking SET position = GREATEST(position, %s), attempts = 0,"
    " last_error = NULL, updated_at = now() WHERE name = %s RETURNING position"
)
_FAIL = (
    "UPDATE relay_tracking SET attempts = attempts + 1, last_error = %s, updated_at = now()"
    " WHERE name = %s RETURNING attempts"
)
_STATE = "SELECT position, attempts, last_error, updated_at FROM relay_tracking WHERE name = %s"


class PostgresPositionStore(PositionStore):
    """One row per relay name, written over the connection the caller gives it. The active
    relay passes the connection that holds its advisory lock, so a relay that lost the lock
    (its session ended) cannot move the position any more: the write fails with it."""

    def __init__(self, conn: psycopg.Connection[TupleRow], name: str) -> None:
        self._conn = conn
        self.name = name
        self._position: int | None = None
        self._conn.execute(_ENSURE, (name,))

    def get(self) -> int:
        if self._position is None:  # only the lock holder writes, so the cache stays true
            self._position = self.state().position
        return self._position

    def advance(self, position: int) -> None:
        row = self._conn.execute(_ADVANCE, (position, self.name)).fetchone()
        if row is None:
            raise LookupError(f"relay_tracking row {self.name!r} disappeared")
        self._position = int(row[0])

    def record_failure(self, error: str) -> int:
        row = self._conn.execute(_FAIL, (error, self.name)).fetchone()
        if row is None:
            raise LookupError(f"relay_tracking row {self.name!r} disappeared")
        return int(row[0])

    def state(self) -> TrackingState:
        row = self._conn.execute(_STATE, (self.name,)).fetchone()
        if row is None:
            return TrackingState(position=0)
        position, attempts, last_error, updated_at = row
        return TrackingState(int(position), int(attempts), last_error, updated_at)
