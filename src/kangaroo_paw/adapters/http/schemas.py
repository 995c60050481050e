"""Response bodies of HTTP API v1: msgspec Structs, kept apart from domain objects.

A task, an order and a cook carry the fields of their application views, so those bodies
extend the views' field sets (``TaskFields``, ``OrderFields``, ``StaffView``) and add only what
the API computes; every other body has a shape of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from kangaroo_paw.application.views import OrderFields, StaffView, TaskFields


class Task(TaskFields, frozen=True, kw_only=True):
    """One recipe step for one unit of one order line."""


class Order(OrderFields, frozen=True, kw_only=True):
    """An order with its tasks; ready_task_ids are the tasks that can be assigned now."""

    promised_secs: float | None
    late: bool
    ready_task_ids: list[UUID]
    tasks: list[Task]


class Quote(msgspec.Struct, kw_only=True):
    """When an order would be ready if confirmed now (nothing is written)."""

    promised_ready_at: datetime
    promised_secs: float


class OrderPage(msgspec.Struct, kw_only=True):
    """A page of orders, newest first; pass next_cursor back as cursor."""

    orders: list[Order]
    next_cursor: str | None


class TaskList(msgspec.Struct, kw_only=True):
    """Tasks matching the filters."""

    tasks: list[Task]


class Assignment(msgspec.Struct, kw_only=True):
    """A task given to a cook on a counter (and machine)."""

    task_id: UUID
    staff_id: UUID
    staff_name: str
    counter: str
    machine: str | None


class Blocked(msgspec.Struct, kw_only=True):
    """Ready tasks left in the queue by this pass, by reason."""

    no_staff: int = 0
    counter_full: int = 0
    machine_down_or_full: int = 0


class AllocationRun(msgspec.Struct, kw_only=True):
    """What one allocation pass assigned, and what it left blocked."""

    assigned: list[Assignment]
    blocked: Blocked


class QueuedTask(Task, frozen=True, kw_only=True):
    """A ready task in pick order: its dispatch age is its order's age plus any rush credit
    (older goes first); aged_priority is the first version's key, kept for comparison."""

    aged_priority: float
    dispatch_age_secs: float


class Queue(msgspec.Struct, kw_only=True):
    """Ready tasks in pick order."""

    tasks: list[QueuedTask]


class Counter(msgspec.Struct, kw_only=True):
    """A counter, its capacity and how much of it is in use."""

    name: str
    capacity: int
    up: bool
    in_use: int


class CounterList(msgspec.Struct, kw_only=True):
    """Every counter."""

    counters: list[Counter]


class Machine(msgspec.Struct, kw_only=True):
    """A machine, its counter, capacity, state and use, and its kind (its pool)."""

    name: str
    counter: str
    capacity: int
    up: bool
    in_use: int
    kind: str


class MachineList(msgspec.Struct, kw_only=True):
    """Every machine."""

    machines: list[Machine]


class Staff(StaffView, frozen=True, kw_only=True):
    """A cook and their current load."""


class StaffList(msgspec.Struct, kw_only=True):
    """Every cook."""

    staff: list[Staff]


class RecipeStep(msgspec.Struct, kw_only=True):
    """One step of a recipe."""

    step_no: int
    description: str
    counter: str
    machine: str | None
    estimate_secs: float
    base_priority: float
    machine_kind: str | None = None


class Dependency(msgspec.Struct, kw_only=True):
    """step_no waits for depends_on."""

    step_no: int
    depends_on: int


class Recipe(msgspec.Struct, kw_only=True):
    """A recipe; effective_dependencies are the explicit ones or, without any, the inferred.
    available is false while the item is 86'd (confirms of it get 422 item_unavailable)."""

    item_key: str
    revision: int
    retired: bool
    available: bool
    steps: list[RecipeStep]
    dependencies: list[Dependency]
    explicit_dependencies: bool
    effective_dependencies: list[Dependency]


class RecipeList(msgspec.Struct, kw_only=True):
    """Recipes by item key."""

    recipes: list[Recipe]


class AllDayItem(msgspec.Struct, kw_only=True):
    """Units of an item with a step at the counter: none of those steps started yet
    (waiting) or one started (in_progress)."""

    item_key: str
    waiting: int
    in_progress: int


class AllDayStep(msgspec.Struct, kw_only=True):
    """Tasks of one recipe step at the counter: not started yet (unassigned or assigned) or
    started."""

    item_key: str
    step_no: int
    description: str
    waiting: int
    in_progress: int


class AllDayCounter(msgspec.Struct, kw_only=True):
    """A counter's open tasks: waiting (unassigned or assigned) and in progress (started),
    in all, by item and by step."""

    counter: str
    waiting: int
    in_progress: int
    items: list[AllDayItem]
    steps: list[AllDayStep]


class AllDay(msgspec.Struct, kw_only=True):
    """All-day counts by counter name."""

    counters: list[AllDayCounter]


class Event(msgspec.Struct, kw_only=True):
    """A recorded domain event as it travels (DESIGN.md §5)."""

    event_id: UUID
    type: str
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    notification_id: int
    occurred_at: str | None
    order_id: UUID | None
    task_id: UUID | None
    data: dict[str, Any]


class EventPage(msgspec.Struct, kw_only=True):
    """A page of the event log; pass next_after back as after."""

    events: list[Event]
    next_after: int


class ErrorDetail(msgspec.Struct, kw_only=True):
    """What went wrong: a stable code, a message and structured details."""

    code: str
    message: str
    details: dict[str, Any]


class Error(msgspec.Struct, kw_only=True):
    """The single error body of every non-2xx response."""

    error: ErrorDetail


class Health(msgspec.Struct, kw_only=True):
    """Liveness, and which worker process answered (``serve`` may run several)."""

    status: str
    pid: int


class Component(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One dependency's state."""

    status: Literal["up", "down"]
    detail: dict[str, Any] = {}


class Readiness(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Each component's state; on 503 also the usual error body naming what is down."""

    status: Literal["ok", "unavailable"]
    components: dict[str, Component]
    error: ErrorDetail | None = None
