"""Scheduler port: allocation requests and durable timers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable
from uuid import UUID

TimerKind = Literal["complete", "timeout", "release"]


@runtime_checkable
class BatchCompletions(Protocol):
    """Handlers that can complete several due tasks in one save (the kitchen can)."""

    def auto_complete_many(self, timers: Sequence[tuple[UUID, int]]) -> list[bool]:
        """``auto_complete`` for each ``(task id, start_no)``, in one save: the results in
        order; raises (saving nothing) if any is refused."""
        ...


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

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        """Arm several timers in one call, each exactly as its single method would (same
        ids, same once-per-id rule). A scheduler whose every call is a round trip (Temporal)
        sends a consumer batch's timers together; this default arms them one by one."""
        for timer in timers:
            if timer.kind == "complete":
                self.schedule_completion(timer.subject, timer.number, timer.due_at)
            elif timer.kind == "timeout":
                self.schedule_timeout(timer.subject, timer.number, timer.due_at)
            else:
                self.schedule_release(timer.subject, timer.due_at)

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


@dataclass(frozen=True, slots=True)
class Timer:
    """One timer as data: a task's completion (``number`` = start_no) or assignment timeout
    (``number`` = assignment_no), or an order's release at ``due_at`` (``number`` unused)."""

    kind: TimerKind
    subject: UUID  # the task, or the order of a release
    number: int
    due_at: datetime

    @property
    def id(self) -> str:
        if self.kind == "release":
            return release_timer_id(self.subject, self.due_at)
        return timer_id(self.kind, self.subject, self.number)

    @classmethod
    def completion(cls, task_id: UUID, start_no: int, due_at: datetime) -> Timer:
        return cls("complete", task_id, start_no, due_at)

    @classmethod
    def timeout(cls, task_id: UUID, assignment_no: int, deadline: datetime) -> Timer:
        return cls("timeout", task_id, assignment_no, deadline)

    @classmethod
    def release(cls, order_id: UUID, release_at: datetime) -> Timer:
        return cls("release", order_id, 0, release_at)


def fire(timer: Timer, handlers: TimerHandlers) -> bool:
    """Run the callback a timer stands for; its result (False: nothing to do)."""
    if timer.kind == "complete":
        return handlers.auto_complete(timer.subject, timer.number)
    if timer.kind == "timeout":
        return handlers.requeue_stale(timer.subject, timer.number)
    return handlers.release_due(timer.subject, timer.due_at)
