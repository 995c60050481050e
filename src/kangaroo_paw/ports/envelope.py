"""The wire envelope of a domain event (docs/domain.md, "Events on the wire")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Envelope:
    """One recorded event as every transport (Kafka, SSE, HTTP) carries it."""

    event_id: UUID
    type: str
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    notification_id: int
    occurred_at: str
    order_id: UUID | None
    task_id: UUID | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> UUID:
        """Partition key: the order, so one order's events stay in order."""
        return self.order_id or self.aggregate_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": str(self.aggregate_id),
            "aggregate_version": self.aggregate_version,
            "notification_id": self.notification_id,
            "occurred_at": self.occurred_at,
            "order_id": None if self.order_id is None else str(self.order_id),
            "task_id": None if self.task_id is None else str(self.task_id),
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Envelope:
        return cls(
            event_id=UUID(raw["event_id"]),
            type=str(raw["type"]),
            aggregate_type=str(raw["aggregate_type"]),
            aggregate_id=UUID(raw["aggregate_id"]),
            aggregate_version=int(raw["aggregate_version"]),
            notification_id=int(raw["notification_id"]),
            occurred_at=str(raw["occurred_at"]),
            order_id=UUID(raw["order_id"]) if raw.get("order_id") else None,
            task_id=UUID(raw["task_id"]) if raw.get("task_id") else None,
            data=dict(raw.get("data") or {}),
        )
