"""Domain events → wire envelopes (docs/domain.md, "Events on the wire"); each event class
carries its wire name.

Inside the process an event travels as ``Recorded`` (the domain event and its notification id);
it becomes an ``Envelope`` only on its way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol

from kangaroo_paw.domain.directory import Directory
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task
from kangaroo_paw.domain.token import Token
from kangaroo_paw.ports.envelope import Envelope

AGGREGATE_TYPES: dict[type, str] = {
    Order: "Order",
    Task: "Task",
    Station: "Station",
    Staff: "Staff",
    Recipe: "Recipe",
    Directory: "Directory",
    Token: "Token",
}

# Each event class carries its wire name (``WIRE``) beside its stored ``TOPIC``.
WIRE_NAMES: dict[type, str] = {
    value: value.WIRE
    for aggregate in AGGREGATE_TYPES
    for value in vars(aggregate).values()
    if isinstance(value, type) and hasattr(value, "WIRE")
}

# Wire name → event class, for readers of envelopes that dispatch on the class.
EVENT_TYPES: dict[str, type] = {wire: event_type for event_type, wire in WIRE_NAMES.items()}

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """Stable per stored event, so a re-published event is recognisable downstream."""
    return uuid5(aggregate_id, f"event:{version}")


def to_envelope(event: DomainEventProtocol[UUID], notification_id: int) -> Envelope:
    event_type = type(event)
    owner = _owner(event_type)
    hidden = _ENVELOPE_FIELDS.union(getattr(event_type, "PRIVATE", ()))
    data = {k: _plain(v) for k, v in vars(event).items() if k not in hidden}
    aggregate_id = event.originator_id
    order_id: UUID | None = None
    task_id: UUID | None = None
    if owner is Order:
        order_id = aggregate_id
    elif owner is Task:
        task_id = aggregate_id
        order_id = getattr(event, "order_id", None)
    elif "task_id" in data:
        task_id = UUID(data["task_id"])
    return Envelope(
        event_id=event_id(aggregate_id, event.originator_version),
        type=WIRE_NAMES[event_type],
        aggregate_type=AGGREGATE_TYPES.get(owner, owner.__name__) if owner else "Unknown",
        aggregate_id=aggregate_id,
        aggregate_version=event.originator_version,
        notification_id=notification_id,
        occurred_at=_plain(getattr(event, "timestamp", None)),
        order_id=order_id,
        task_id=task_id,
        data=data,
    )


_OWNERS: dict[type, type] = {
    value: aggregate
    for aggregate in AGGREGATE_TYPES
    for value in vars(aggregate).values()
    if isinstance(value, type)
}


def _owner(event_type: type) -> type | None:
    return _OWNERS.get(event_type)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Recorded:
    """One stored domain event and its place in the notification log: what followers hand
    their sinks. Readers in this process dispatch on the event's class and read its typed
    attributes; the wire ``Envelope`` is built from it only where an event leaves the process
    (Kafka, the SSE stream, the events route)."""

    notification_id: int
    event: DomainEventProtocol[UUID]

    @property
    def aggregate_id(self) -> UUID:
        return self.event.originator_id

    @property
    def aggregate_type(self) -> str:
        owner = _owner(type(self.event))
        return AGGREGATE_TYPES.get(owner, owner.__name__) if owner else "Unknown"

    def envelope(self) -> Envelope:
        return to_envelope(self.event, self.notification_id)


def envelopes(batch: Sequence[Recorded]) -> list[Envelope]:
    return [recorded.envelope() for recorded in batch]
