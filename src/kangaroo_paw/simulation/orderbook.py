"""What the srpt and lst policies know of every order: its confirm time, its critical path and
the path still left, kept from the kitchen's own events (a follower sink, like the observer).

Paths are recipe estimates, as the kitchen knows them; the book never sees actual durations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from kangaroo_paw.application.envelopes import Recorded
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.task import Task


@dataclass(slots=True)
class BookTask:
    """One task of an order: its estimate, its remaining path (``tail_secs``, own estimate
    included) and how far it got."""

    order_id: UUID
    estimate_secs: float
    tail_secs: float
    started_at: float | None = None
    done: bool = False


@dataclass(slots=True)
class BookOrder:
    """One order: when it was confirmed (simulated seconds) and its tasks."""

    confirmed_at: float
    task_ids: list[UUID] = field(default_factory=list)
    critical_path_secs: float = 0.0


class OrderBook:
    """Order-level state for planners that rank a task by its order (srpt, lst)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.position = 0
        self.tasks: dict[UUID, BookTask] = {}
        self.orders: dict[UUID, BookOrder] = {}

    # -- facts, by hand or from events ---------------------------------------------------------

    def add_order(self, order_id: UUID, confirmed_at: float) -> None:
        self.orders.setdefault(order_id, BookOrder(confirmed_at)).confirmed_at = confirmed_at

    def add_task(self, task_id: UUID, order_id: UUID, estimate_secs: float, tail: float) -> None:
        self.tasks[task_id] = BookTask(order_id, estimate_secs, tail)
        # Task events may come before their order's in a batch: the order fills in later.
        order = self.orders.setdefault(order_id, BookOrder(self._now()))
        order.task_ids.append(task_id)
        order.critical_path_secs = max(order.critical_path_secs, tail)

    def started(self, task_id: UUID, at: float) -> None:
        self.tasks[task_id].started_at = at

    def completed(self, task_id: UUID) -> None:
        self.tasks[task_id].done = True

    # -- what a planner asks ------------------------------------------------------------------

    def order_of(self, task_id: UUID) -> BookOrder:
        return self.orders[self.tasks[task_id].order_id]

    def remaining_secs(self, order_id: UUID) -> float:
        """The longest path of estimates still ahead of the order: over its unfinished tasks,
        the remaining path, less the time a started task has already run (at most its
        estimate: an overrunning task is assumed to finish now)."""
        now = self._now()
        left = 0.0
        for task_id in self.orders[order_id].task_ids:
            task = self.tasks[task_id]
            if task.done:
                continue
            ran = 0.0 if task.started_at is None else min(task.estimate_secs, now - task.started_at)
            left = max(left, task.tail_secs - ran)
        return left

    def latest_start(self, task_id: UUID) -> float:
        """When the task must start for its order to finish at confirm + critical path:
        confirm time + the order's critical path - the task's remaining path."""
        task = self.tasks[task_id]
        order = self.orders[task.order_id]
        return order.confirmed_at + order.critical_path_secs - task.tail_secs

    # -- the follower sink ---------------------------------------------------------------------

    def handle(self, batch: Sequence[Recorded]) -> None:
        now = self._now()
        for recorded in batch:
            event = recorded.event
            if isinstance(event, Order.Created):
                self.add_order(event.originator_id, now)
            elif isinstance(event, Task.Created):
                estimate, tail = float(event.estimate_secs), float(event.tail_secs)
                self.add_task(event.originator_id, event.order_id, estimate, tail)
            elif isinstance(event, Task.Started):
                self.started(event.originator_id, now)
            elif isinstance(event, Task.Completed):
                self.completed(event.originator_id)
        self.position = batch[-1].notification_id
