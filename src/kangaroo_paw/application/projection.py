"""Projections: what the ready queue and the read model hold, computed from the current
state of the aggregates a batch of recorded events touched (the ``LogFollower`` batches)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.envelopes import Recorded
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.task import Task, TaskStatus
from kangaroo_paw.ports.queue import QueueEntry, QueueOp, ReadyQueue, Remove, Upsert
from kangaroo_paw.ports.read_model import OrderRow, ReadModel, TaskRow


def task_row_status(task: Task) -> str:
    if task.status == TaskStatus.UNASSIGNED:
        return "READY" if task.is_ready else "WAITING"
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
        machine_kind=task.machine_kind,
    )


class Projections:
    """Turns a batch of recorded events into queue ops and read-model rows from current state.

    Rows and entries are computed from each touched aggregate's *current* state, so applying
    a batch twice, or out of date, converges to the same result (idempotent by design). The
    tasks of a batch are loaded once for both sinks; ``forget()`` before every new batch
    (``follower.before_batch(projections.forget)``), since state may have moved on.
    """

    def __init__(self, kitchen: KitchenCore) -> None:
        self.kitchen = kitchen
        self._memo: tuple[tuple[int, int, int], list[Task | UUID]] | None = None

    def forget(self) -> None:
        self._memo = None

    def apply_to_queue(
        self, queue: ReadyQueue, batch: Sequence[Recorded], position: int | None = None
    ) -> None:
        """Bring ``queue`` up to date with ``batch`` and record ``position`` (by default
        the batch's last notification) with the change."""
        at = batch[-1].notification_id if position is None else position
        queue.apply(self.queue_ops(batch), at)

    def apply_to_rows(
        self, read_model: ReadModel, batch: Sequence[Recorded], position: int | None = None
    ) -> None:
        """The same for the read model's order and task rows."""
        orders, tasks = self.rows(batch)
        at = batch[-1].notification_id if position is None else position
        read_model.save(orders, tasks, at)

    def queue_ops(self, batch: Sequence[Recorded]) -> list[QueueOp]:
        ops: list[QueueOp] = []
        for task in self._tasks(batch):
            if isinstance(task, UUID):
                ops.append(Remove(task))
            elif task.is_ready and task.ready_at is not None:
                ops.append(Upsert(queue_entry(task)))
            else:
                ops.append(Remove(task.id))
        return ops

    def rows(self, batch: Sequence[Recorded]) -> tuple[list[OrderRow], list[TaskRow]]:
        orders: list[OrderRow] = []
        seen: set[UUID] = set()
        for recorded in batch:
            if recorded.aggregate_type != "Order" or recorded.aggregate_id in seen:
                continue
            seen.add(recorded.aggregate_id)
            order = self.kitchen.load(Order, recorded.aggregate_id)
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
            for t in self._tasks(batch)
            if not isinstance(t, UUID)
        ]
        return orders, tasks

    def _tasks(self, batch: Sequence[Recorded]) -> list[Task | UUID]:
        if not batch:
            return []
        key = (len(batch), batch[0].notification_id, batch[-1].notification_id)
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, self._load_tasks(batch))
        return self._memo[1]

    def _load_tasks(self, batch: Sequence[Recorded]) -> list[Task | UUID]:
        ids = list(dict.fromkeys(r.aggregate_id for r in batch if r.aggregate_type == "Task"))
        result: list[Task | UUID] = []
        for task_id in ids:
            try:
                result.append(self.kitchen.task(task_id))
            except NotFound:
                result.append(task_id)
        return result
