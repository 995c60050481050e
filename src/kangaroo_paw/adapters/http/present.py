"""Application views → transport schemas (the only place the two shapes meet).

A body takes a view's fields by name; only what the API renames, reshapes or computes is
spelled out here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import msgspec

from kangaroo_paw.adapters.http import schemas as s
from kangaroo_paw.application.views import (
    AllDayCounter,
    AllocationResult,
    OrderView,
    QueuedTask,
    RecipeView,
    StaffView,
    StationView,
    TaskView,
)
from kangaroo_paw.ports.envelope import Envelope

Body = TypeVar("Body")


def _as(view: object, body: type[Body]) -> Body:
    """``view``'s attributes of the same names as ``body``'s fields (nested views too)."""
    return msgspec.convert(view, body, from_attributes=True)


def task(view: TaskView) -> s.Task:
    return _as(view, s.Task)


def queued(entry: QueuedTask) -> s.QueuedTask:
    return s.QueuedTask(
        **msgspec.structs.asdict(task(entry.task)),
        aged_priority=entry.aged_priority,
        dispatch_age_secs=entry.dispatch_age_secs,
    )


def order(view: OrderView) -> s.Order:
    return _as(view, s.Order)


def allocation(result: AllocationResult) -> s.AllocationRun:
    return _as(result, s.AllocationRun)


def counter(view: StationView) -> s.Counter:
    return _as(view, s.Counter)


def machine(view: StationView) -> s.Machine:
    return s.Machine(
        name=view.name,
        counter=view.counter or "",
        capacity=view.capacity,
        up=view.up,
        in_use=view.in_use,
        kind=view.machine_kind or view.name,
    )


def staff(view: StaffView) -> s.Staff:
    return _as(view, s.Staff)


def recipe(view: RecipeView) -> s.Recipe:
    effective = view.effective_dependencies
    return s.Recipe(
        item_key=view.item_key,
        revision=view.revision,
        retired=view.retired,
        available=view.available,
        steps=msgspec.convert(view.steps, list[s.RecipeStep]),
        dependencies=_dependencies(view.dependencies),
        explicit_dependencies=view.explicit_dependencies,
        effective_dependencies=_dependencies(
            (step_no, parent)
            for step_no, parents in sorted(effective.items())
            for parent in parents
        ),
    )


def _dependencies(pairs: Iterable[tuple[int, int]]) -> list[s.Dependency]:
    return [s.Dependency(step_no=step_no, depends_on=parent) for step_no, parent in pairs]


def all_day(counters: list[AllDayCounter]) -> s.AllDay:
    return s.AllDay(counters=[_as(c, s.AllDayCounter) for c in counters])


def event(envelope: Envelope) -> s.Event:
    return _as(envelope, s.Event)
