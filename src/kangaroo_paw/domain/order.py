"""The Order aggregate: a confirmed ticket and the progress of its tasks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import InvalidTransition


class OrderStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    PART_COMPLETED = "PART_COMPLETED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Priority(StrEnum):
    NORMAL = "normal"
    RUSH = "rush"


class Order(Aggregate):
    """A confirmed order. Every task completion passes through it, so the last one to finish
    always sees the others (optimistic concurrency retries a racing completion)."""

    TOPIC = "kangaroo_paw.order.v1"

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.order.confirmed.v1"
        external_order_id: str
        items: dict[str, int]
        priority: str
        task_ids: list[UUID]
        confirmed_at: datetime

    class StatusChanged(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.status_changed.v1"
        old_status: str
        new_status: str
        changed_at: datetime

    class TaskCompleted(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.task_completed.v1"
        task_id: UUID
        completed_count: int

    class Cancelled(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.cancelled.v1"
        old_status: str
        cancelled_at: datetime
        reason: str

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        external_order_id: str,
        items: dict[str, int],
        priority: str,
        task_ids: list[UUID],
        confirmed_at: datetime,
    ) -> None:
        self.external_order_id = external_order_id
        self.items = dict(items)
        self.priority = priority
        self.task_ids = list(task_ids)
        self.created_at = confirmed_at
        self.status = OrderStatus.CONFIRMED
        self.completed_task_ids: list[UUID] = []
        self.completed_at: datetime | None = None
        self.cancelled_at: datetime | None = None

    def same_request(self, items: dict[str, int], priority: str) -> bool:
        """Whether a repeated confirm carries exactly this order's payload."""
        return self.items == items and self.priority == priority

    @property
    def is_final(self) -> bool:
        return self.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

    def task_assigned(self, at: datetime) -> None:
        """The first assignment moves a confirmed order into progress."""
        if self.status == OrderStatus.CONFIRMED:
            self._status_changed(
                old_status=str(self.status), new_status=OrderStatus.IN_PROGRESS, changed_at=at
            )

    def task_completed(self, task_id: UUID, at: datetime) -> None:
        if task_id not in self.task_ids:
            raise InvalidTransition(f"task {task_id} is not part of order {self.id}")
        if task_id in self.completed_task_ids:
            raise InvalidTransition(f"task {task_id} already counted as completed")
        if self.status == OrderStatus.CANCELLED:
            raise InvalidTransition(f"order {self.id} is cancelled")
        self._task_completed(task_id=task_id, completed_count=len(self.completed_task_ids) + 1)
        if len(self.completed_task_ids) == len(self.task_ids):
            new = OrderStatus.COMPLETED
        elif self.status in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS):
            new = OrderStatus.PART_COMPLETED
        else:
            return
        self._status_changed(old_status=str(self.status), new_status=new, changed_at=at)

    def cancel(self, at: datetime, reason: str = "") -> None:
        if self.status == OrderStatus.COMPLETED:
            raise InvalidTransition(
                f"order {self.id} is COMPLETED and cannot be cancelled", order_id=str(self.id)
            )
        if self.status == OrderStatus.CANCELLED:
            raise InvalidTransition(f"order {self.id} is already CANCELLED", order_id=str(self.id))
        self._cancelled(old_status=str(self.status), cancelled_at=at, reason=reason)

    @event(StatusChanged)
    def _status_changed(self, old_status: str, new_status: str, changed_at: datetime) -> None:
        self.status = OrderStatus(new_status)
        if self.status == OrderStatus.COMPLETED:
            self.completed_at = changed_at

    @event(TaskCompleted)
    def _task_completed(self, task_id: UUID, completed_count: int) -> None:
        self.completed_task_ids.append(task_id)

    @event(Cancelled)
    def _cancelled(self, old_status: str, cancelled_at: datetime, reason: str) -> None:
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = cancelled_at
