"""ReadModel port: query-side rows of orders and tasks, kept current by a projection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: UUID
    external_order_id: str
    status: str
    created_at: datetime


OPEN_TASK_STATUSES = ("WAITING", "READY", "ASSIGNED", "STARTED")


@dataclass(frozen=True, slots=True)
class TaskRow:
    task_id: UUID
    order_id: UUID
    status: str  # WAITING | READY | ASSIGNED | STARTED | COMPLETED | CANCELLED
    counter: str
    staff_id: UUID | None
    created_at: datetime
    step_no: int


class ReadModel(Protocol):
    """Rows for the list routes; ``save`` is atomic with the position it reaches."""

    def save(self, orders: Sequence[OrderRow], tasks: Sequence[TaskRow], position: int) -> None: ...

    def position(self) -> int: ...

    def list_orders(
        self, status: str | None, limit: int, before: tuple[datetime, UUID] | None
    ) -> list[OrderRow]:
        """Newest first; ``before`` is the (created_at, order_id) of the last row seen."""
        ...

    def list_tasks(
        self,
        status: str | None,
        counter: str | None,
        staff_id: UUID | None,
        limit: int,
    ) -> list[TaskRow]: ...

    def open_tasks(self, counter: str | None) -> list[TaskRow]:
        """Every task not yet completed or cancelled (WAITING, READY, ASSIGNED, STARTED),
        optionally at one counter, in ``list_tasks`` order and without a limit: the open work
        of a kitchen is what its screens count (all-day)."""
        ...

    def clear(self) -> None: ...
