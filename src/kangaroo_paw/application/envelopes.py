"""Domain events → wire envelopes (DESIGN.md §5), with the established wire names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol

from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Directory, Recipe
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task
from kangaroo_paw.ports.envelope import Envelope

WIRE_NAMES: dict[type, str] = {
    Order.Created: "ORDER_CONFIRMED",
    Order.StatusChanged: "ORDER_STATUS_CHANGED",
    Order.TaskCompleted: "ORDER_TASK_COMPLETED",
    Order.Cancelled: "ORDER_CANCELLED",
    Order.Reprioritised: "ORDER_REPRIORITISED",
    Task.Created: "TASK_CREATED",
    Task.BecameReady: "TASK_READY",
    Task.DependencyMet: "TASK_DEPENDENCY_MET",
    Task.Assigned: "TASK_ASSIGNED",
    Task.Started: "TASK_STARTED",
    Task.Completed: "TASK_COMPLETED",
    Task.Requeued: "TASK_REQUEUED",
    Task.Cancelled: "TASK_CANCELLED",
    Task.Reprioritised: "TASK_REPRIORITISED",
    Station.Created: "STATION_REGISTERED",
    Station.CapacityChanged: "STATION_CAPACITY_CHANGED",
    Station.Reserved: "STATION_RESERVED",
    Station.Released: "STATION_RELEASED",
    Station.WentDown: "STATION_DOWN",
    Station.CameUp: "STATION_UP",
    Staff.Created: "STAFF_HIRED",
    Staff.Updated: "STAFF_UPDATED",
    Staff.BreakStarted: "STAFF_BREAK_STARTED",
    Staff.BreakEnded: "STAFF_BREAK_ENDED",
    Staff.TaskTaken: "STAFF_TASK_TAKEN",
    Staff.TaskFinished: "STAFF_TASK_FINISHED",
    Staff.TaskDropped: "STAFF_TASK_DROPPED",
    Recipe.Created: "RECIPE_DEFINED",
    Recipe.Revised: "RECIPE_REVISED",
    Recipe.Retired: "RECIPE_RETIRED",
    Directory.Created: "DIRECTORY_OPENED",
    Directory.MemberAdded: "DIRECTORY_MEMBER_ADDED",
}

AGGREGATE_TYPES: dict[type, str] = {
    Order: "Order",
    Task: "Task",
    Station: "Station",
    Staff: "Staff",
    Recipe: "Recipe",
    Directory: "Directory",
}

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """Stable per stored event, so a re-published event is recognisable downstream."""
    return uuid5(aggregate_id, f"event:{version}")


def to_envelope(event: DomainEventProtocol[UUID], notification_id: int) -> Envelope:
    event_type = type(event)
    owner = _owner(event_type)
    data = {k: _plain(v) for k, v in vars(event).items() if k not in _ENVELOPE_FIELDS}
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
        type=WIRE_NAMES.get(event_type, event_type.__name__.upper()),
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


def wire_names() -> Iterable[str]:
    return WIRE_NAMES.values()
