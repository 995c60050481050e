"""What the kitchen does when an event is seen: the same map for the embedded follower and
for the Kafka consumer (docs/temporal.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from kangaroo_paw.application.envelopes import EVENT_TYPES
from kangaroo_paw.application.views import TaskView
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.scheduler import Scheduler

# Events after which a pass may place something it could not place before.
ALLOCATION_TRIGGERS: frozenset[type] = frozenset(
    {
        Task.BecameReady,
        Task.Completed,
        Task.Requeued,
        Task.Rerouted,
        Task.HandedBack,
        Task.Cancelled,
        Task.Refired,
        Task.DependencyReopened,
        Station.CameUp,
        Station.Created,
        Station.CapacityChanged,
        Staff.BreakEnded,
        Staff.Created,
        Staff.Updated,
    }
)


def _time(raw: object) -> datetime:
    if isinstance(raw, datetime):
        return raw
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def react(event: object, scheduler: Scheduler, assignment_ttl_secs: float) -> None:
    """Translate one domain event into scheduler calls (idempotent: ids dedupe timers)."""
    origin = getattr(event, "originator_id", None)
    task_id = origin if isinstance(event, Task.Event) else None
    order_id = origin if isinstance(event, Order.Event) else None
    _react(type(event), task_id, order_id, vars(event), scheduler, assignment_ttl_secs)


def react_to_envelope(envelope: Envelope, scheduler: Scheduler, assignment_ttl_secs: float) -> None:
    """The same for an event read off the wire (the Kafka consumer): its class is found by
    its wire name, its fields are the envelope's data."""
    kind = EVENT_TYPES.get(envelope.type)
    if kind is not None:
        _react(
            kind, envelope.task_id, envelope.order_id, envelope.data, scheduler, assignment_ttl_secs
        )


def _react(
    kind: type,
    task_id: UUID | None,
    order_id: UUID | None,
    fields: Mapping[str, Any],
    scheduler: Scheduler,
    assignment_ttl_secs: float,
) -> None:
    if kind is Order.ReleasesPlanned and order_id is not None:
        # One timer per distinct instant; each releases every item due by then.
        for at in sorted({_time(raw) for raw in fields["releases"].values()}):
            scheduler.schedule_release(order_id, at)
    elif kind in ALLOCATION_TRIGGERS:
        scheduler.request_allocation()
    elif kind is Task.Assigned and task_id is not None:
        deadline = _time(fields["assigned_at"]) + timedelta(seconds=assignment_ttl_secs)
        scheduler.schedule_timeout(task_id, int(fields["assignment_no"]), deadline)
    elif kind in (Task.Started, Task.Recalled) and task_id is not None:
        # A TASK_STARTED read off the wire from before starts were numbered is the first.
        start_no = int(fields.get("start_no", 1))
        scheduler.schedule_completion(task_id, start_no, _time(fields["due_at"]))


def rearm(
    tasks: list[TaskView],
    scheduler: Scheduler,
    assignment_ttl_secs: float,
    releases: Sequence[tuple[UUID, datetime]] = (),
) -> int:
    """After a restart: arm every timer that the state implies, at its original due time
    (``releases``: the planned releases of paced open orders)."""
    armed = 0
    for order_id, at in releases:
        scheduler.schedule_release(order_id, at)
        armed += 1
    for task in tasks:
        if task.status == "ASSIGNED" and task.assigned_at is not None:
            deadline = task.assigned_at + timedelta(seconds=assignment_ttl_secs)
            scheduler.schedule_timeout(task.task_id, task.assignment_no, deadline)
            armed += 1
        elif task.status == "STARTED" and task.due_at is not None:
            scheduler.schedule_completion(task.task_id, task.start_no, task.due_at)
            armed += 1
    return armed
