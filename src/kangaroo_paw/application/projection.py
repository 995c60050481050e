"""The follower: reads the notification log in order and feeds the ready queue, the read
model, the reactions and a publisher, each from its own position."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.task import Task, TaskStatus
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.queue import QueueEntry, QueueOp, Remove, Upsert
from kangaroo_paw.ports.read_model import OrderRow, TaskRow

log = logging.getLogger(__name__)


def task_row_status(task: Task) -> str:
    if task.status == TaskStatus.UNASSIGNED:
        return "READY" if task.pending_deps == 0 else "WAITING"
    return str(task.status)


def queue_entry(task: Task) -> QueueEntry:
    """The queue entry of a ready task, from its current state alone (so a rebuild from the
    log reproduces the live queue exactly)."""
    assert task.ready_at is not None
    score, rank = task.dispatch_key
    return QueueEntry(
        task_id=task.id,
        counter=task.counter,
        machine=task.machine,
        priority=task.priority,
        ready_at=task.ready_at.timestamp(),
        score=score,
        rank=rank,
    )


class Projections:
    """Turns a batch of envelopes into queue ops and read-model rows from current state.

    Rows and entries are computed from each touched aggregate's *current* state, so applying
    a batch twice, or out of date, converges to the same result (idempotent by design).
    """

    def __init__(self, kitchen: KitchenCore) -> None:
        self.kitchen = kitchen

    def queue_ops(self, envelopes: Sequence[Envelope]) -> list[QueueOp]:
        ops: list[QueueOp] = []
        for task in self._tasks(envelopes):
            if isinstance(task, UUID):
                ops.append(Remove(task))
            elif task.is_ready and task.ready_at is not None:
                ops.append(Upsert(queue_entry(task)))
            else:
                ops.append(Remove(task.id))
        return ops

    def rows(self, envelopes: Sequence[Envelope]) -> tuple[list[OrderRow], list[TaskRow]]:
        orders: list[OrderRow] = []
        seen: set[UUID] = set()
        for env in envelopes:
            if env.aggregate_type != "Order" or env.aggregate_id in seen:
                continue
            seen.add(env.aggregate_id)
            order = self.kitchen.load(Order, env.aggregate_id)
            orders.append(
                OrderRow(order.id, order.external_order_id, str(order.status), order.created_at)
            )
        tasks = [
            TaskRow(
                task_id=t.id,
                order_id=t.order_id,
                status=task_row_status(t),
                counter=t.counter,
                staff_id=t.assigned_staff_id,
                created_at=t.created_at,
                step_no=t.step_no,
            )
            for t in self._tasks(envelopes)
            if not isinstance(t, UUID)
        ]
        return orders, tasks

    def _tasks(self, envelopes: Sequence[Envelope]) -> list[Task | UUID]:
        ids = list(dict.fromkeys(e.aggregate_id for e in envelopes if e.aggregate_type == "Task"))
        result: list[Task | UUID] = []
        for task_id in ids:
            try:
                result.append(self.kitchen.task(task_id))
            except NotFound:
                result.append(task_id)
        return result


Sink = Callable[[Sequence[Envelope]], None]


class Follower:
    """Reads notifications after the lowest sink position and hands each sink the envelopes
    it has not seen. Sinks report their own position (``position()``) so a crash between
    two sinks replays only to the one behind."""

    def __init__(self, kitchen: KitchenCore, batch_size: int = 500) -> None:
        self.kitchen = kitchen
        self.batch_size = batch_size
        self._sinks: list[tuple[str, Callable[[], int], Callable[[Sequence[Envelope]], None]]] = []

    def add_sink(
        self,
        name: str,
        position: Callable[[], int],
        handle: Callable[[Sequence[Envelope]], None],
    ) -> None:
        self._sinks.append((name, position, handle))

    def catch_up(self, max_batches: int | None = None) -> int:
        """Process everything recorded so far (or ``max_batches``); returns events handled."""
        handled = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            positions = [pos() for _, pos, _ in self._sinks]
            start = min(positions, default=0)
            envelopes = self.kitchen.event_log(start, self.batch_size)
            if not envelopes:
                break
            for (_name, _, handle), pos in zip(self._sinks, positions, strict=True):
                fresh = [e for e in envelopes if e.notification_id > pos]
                if fresh:
                    handle(fresh)
            handled += len(envelopes)
            batches += 1
        return handled
