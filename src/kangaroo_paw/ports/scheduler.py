"""Scheduler port: allocation requests and durable timers."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class TimerHandlers(Protocol):
    """What a scheduler calls back when a request or a timer comes due."""

    def allocate_now(self) -> int:
        """Run allocation passes; return how many tasks were assigned."""
        ...

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        """Complete a task still STARTED under ``start_no`` whose estimate ran out; False if
        nothing to do (completed by hand, re-fired, recalled since: another start)."""
        ...

    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        """Requeue a task still ASSIGNED under ``assignment_no``; False if nothing to do."""
        ...

    def release_due(self, order_id: UUID, release_at: datetime) -> bool:
        """Release the paced items of an order planned at or before ``release_at``; False if
        nothing is left to release (released already, the order final or unknown)."""
        ...


class Scheduler(Protocol):
    """Requests are coalesced; timers fire at (or after) their due time, at most once per id."""

    def request_allocation(self) -> None: ...

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None: ...

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None: ...

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        """Call ``release_due(order_id, release_at)`` at ``release_at`` (finish-together
        pacing); one timer per order and instant."""
        ...

    def close(self) -> None: ...


def release_timer_id(order_id: UUID, release_at: datetime) -> str:
    """Deterministic id of a release timer: an order may plan releases at several instants
    (one per distinct item path), each fires once; milliseconds since the epoch."""
    return f"release-{order_id}-{round(release_at.timestamp() * 1000)}"


def timer_id(kind: str, task_id: UUID, number: int) -> str:
    """Deterministic timer/workflow id: a completion per start of a task (``start_no``:
    every attempt, and every recall within one, starts anew), a timeout per assignment
    (``assignment_no``). Never reused, since Temporal rejects a workflow id seen before."""
    return f"{kind}-{task_id}-{number}"
