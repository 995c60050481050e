"""InMemoryReadModel: dictionaries of order and task rows for the list routes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from kangaroo_paw.ports.read_model import OPEN_TASK_STATUSES, OrderRow, ReadModel, TaskRow


class InMemoryReadModel(ReadModel):
    """Rows keyed by id; queries scan (fine for one kitchen's open work)."""

    def __init__(self) -> None:
        self._orders: dict[UUID, OrderRow] = {}
        self._tasks: dict[UUID, TaskRow] = {}
        self._position = 0
        self._lock = threading.Lock()

    def save(self, orders: Sequence[OrderRow], tasks: Sequence[TaskRow], position: int) -> None:
        with self._lock:
            for order in orders:
                self._orders[order.order_id] = order
            for task in tasks:
                self._tasks[task.task_id] = task
            self._position = max(self._position, position)

    def position(self) -> int:
        return self._position

    def list_orders(
        self, status: str | None, limit: int, before: tuple[datetime, UUID] | None
    ) -> list[OrderRow]:
        with self._lock:
            rows = [r for r in self._orders.values() if status is None or r.status == status]
        rows.sort(key=lambda r: (r.created_at, str(r.order_id)), reverse=True)
        if before is not None:
            mark = (before[0], str(before[1]))
            rows = [r for r in rows if (r.created_at, str(r.order_id)) < mark]
        return rows[:limit]

    def list_tasks(
        self,
        status: str | None,
        counter: str | None,
        staff_id: UUID | None,
        limit: int,
    ) -> list[TaskRow]:
        with self._lock:
            rows = [
                r
                for r in self._tasks.values()
                if (
                    status is None
                    or r.status == status
                    or (status == "UNASSIGNED" and r.status in ("READY", "WAITING"))
                )
                and (counter is None or r.counter == counter)
                and (staff_id is None or r.staff_id == staff_id)
            ]
        return _in_order(rows)[:limit]

    def open_tasks(self, counter: str | None) -> list[TaskRow]:
        with self._lock:
            rows = [
                r
                for r in self._tasks.values()
                if r.status in OPEN_TASK_STATUSES and (counter is None or r.counter == counter)
            ]
        return _in_order(rows)

    def clear(self) -> None:
        with self._lock:
            self._orders.clear()
            self._tasks.clear()
            self._position = 0


def _in_order(rows: list[TaskRow]) -> list[TaskRow]:
    return sorted(rows, key=lambda r: (r.created_at, str(r.order_id), r.step_no, str(r.task_id)))
