"""Builders for domain tests: aggregates constructed directly, no application, no store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import COUNTER, MACHINE, Station
from kangaroo_paw.domain.task import Task
from kangaroo_paw.domain.ticket import Ticket

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def make_task(
    *,
    depends_on: list[UUID] | None = None,
    counter: str = "griller",
    machine: str | None = "grill-1",
    machine_kind: str | None = None,
    estimate_secs: float = 80.0,
    base_priority: float = 20.0,
    boost: float = 0.0,
    order_id: UUID | None = None,
    ready: bool = True,
    tail_secs: float | None = None,
    rush_credit_secs: float = 0.0,
    created_at: datetime | None = None,
    modifiers: list[str] | None = None,
    allergens: list[str] | None = None,
    order_path_secs: float = 0.0,
) -> Task:
    """A task; a root task is marked ready at T0 unless ``ready`` is False."""
    task = Task(
        id=uuid.uuid4(),
        order_id=order_id or uuid.uuid4(),
        item_key="burger_combo",
        unit=1,
        step_no=1,
        description="grill patty",
        counter=counter,
        machine=machine,
        estimate_secs=estimate_secs,
        base_priority=base_priority,
        boost=boost,
        depends_on=list(depends_on or []),
        dependents=[],
        created_at=created_at or T0,
        tail_secs=estimate_secs if tail_secs is None else tail_secs,
        rush_credit_secs=rush_credit_secs,
        machine_kind=machine_kind,
        modifiers=list(modifiers or []),
        allergens=list(allergens or []),
        order_path_secs=order_path_secs,
    )
    if ready and not task.depends_on:
        task.mark_ready(T0)
    return task


def make_order(task_ids: list[UUID], ticket: Ticket | None = None) -> Order:
    return Order(
        id=uuid.uuid4(),
        external_order_id="ext-1",
        items={"burger_combo": 1},
        priority="normal",
        task_ids=list(task_ids),
        confirmed_at=T0,
        rush_credit_secs=0.0,
        promised_ready_at=None,
        **(ticket or Ticket()).fields(),
    )


def make_station(capacity: int = 2, *, machine: bool = False) -> Station:
    return Station(
        id=uuid.uuid4(),
        name="fryer-1" if machine else "fryer",
        kind=MACHINE if machine else COUNTER,
        counter="fryer" if machine else None,
        capacity=capacity,
        machine_kind="fryer" if machine else None,
    )


def make_staff(
    *,
    skills: list[str] | None = None,
    max_parallel: int = 2,
    efficiency: float = 1.0,
    shift_start: str = "00:00",
    shift_end: str = "00:00",
) -> Staff:
    return Staff(
        id=uuid.uuid4(),
        name="Asha",
        skills=list(skills or ["griller", "fryer"]),
        max_parallel=max_parallel,
        efficiency=efficiency,
        shift_start=shift_start,
        shift_end=shift_end,
    )


def replayed(aggregate: Aggregate) -> dict[str, Any]:
    """State rebuilt from the aggregate's pending events (which are collected)."""
    rebuilt: Any = None
    for event in aggregate.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    return dict(vars(rebuilt))
