"""SimulatedScheduler: the Scheduler port on simulated time, with timers kept as events in the
simulation's heap instead of threads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from kangaroo_paw.ports.scheduler import Scheduler, release_timer_id, timer_id

TIMEOUT = "timeout"
RELEASE = "release"

# push(due, kind, payload): put an event into the simulation's heap.
Push = Callable[[datetime, str, tuple[UUID, int] | tuple[UUID, datetime]], None]


class SimulatedScheduler(Scheduler):
    """Allocation requests coalesce into one flag the simulation reads after each instant;
    assignment timeouts become heap events (once per timer id, like the real schedulers).

    Completion timers are counted but not armed: a simulated cook completes a task after its
    *sampled* duration through ``Kitchen.complete_task``, as a cook does by hand, because the
    estimate timer would complete every task exactly on its estimate.
    """

    def __init__(self, push: Push) -> None:
        self._push = push
        self._armed: set[str] = set()
        self.allocation_requested = False
        self.completion_timers = 0
        self.timeouts_armed = 0

    def request_allocation(self) -> None:
        self.allocation_requested = True

    def take_allocation_request(self) -> bool:
        requested, self.allocation_requested = self.allocation_requested, False
        return requested

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self.completion_timers += 1

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        tid = timer_id(TIMEOUT, task_id, assignment_no)
        if tid in self._armed:
            return
        self._armed.add(tid)
        self.timeouts_armed += 1
        self._push(deadline, TIMEOUT, (task_id, assignment_no))

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        """Finish-together pacing: a heap event that releases the order's due items."""
        tid = release_timer_id(order_id, release_at)
        if tid in self._armed:
            return
        self._armed.add(tid)
        self._push(release_at, RELEASE, (order_id, release_at))

    def fired(self, task_id: UUID, assignment_no: int) -> None:
        self._armed.discard(timer_id(TIMEOUT, task_id, assignment_no))

    def close(self) -> None:
        self._armed.clear()
