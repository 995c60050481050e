"""PositionStore port: how far a follower of the notification log has got, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TrackingState:
    """A follower's durable position with its failure record (attempts since last success)."""

    position: int
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime | None = None


class PositionStore(Protocol):
    """A durable, forward-only position. ``advance`` is called only after the work up to
    ``position`` is done (for the relay: the broker acknowledged), and clears the failure
    record; ``record_failure`` counts consecutive failures and keeps the newest error."""

    def get(self) -> int: ...

    def advance(self, position: int) -> None: ...

    def record_failure(self, error: str) -> int:
        """Count one more consecutive failure; returns the count."""
        ...

    def state(self) -> TrackingState: ...
