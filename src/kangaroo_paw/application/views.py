"""Read-only views the application returns: plain data, never aggregates.

They are frozen msgspec Structs, so a transport converts a view to its own shape by attribute
name (``msgspec.convert(view, Shape, from_attributes=True)``) or extends one outright: the
HTTP task, order and cook are built on ``TaskFields``, ``OrderFields`` and ``StaffView``, so a
field added to one of those is a field added to the HTTP API.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task


class TaskFields(msgspec.Struct, frozen=True, kw_only=True):
    """A task as every reader sees it."""

    task_id: UUID
    order_id: UUID
    item_key: str
    unit: int
    step_no: int
    description: str
    counter: str
    machine: str | None
    estimate_secs: float
    base_priority: float
    priority: float
    rush_credit_secs: float
    tail_secs: float
    status: str
    pending_deps: int
    depends_on: list[UUID]
    ready_at: datetime | None
    assigned_staff_id: UUID | None
    assigned_staff: str | None
    assigned_machine: str | None
    assigned_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    requeue_count: int
    machine_kind: str | None  # a pool step: any machine of this kind at the counter
    interrupted_at: datetime | None  # its machine went down while it ran (it ran on)
    modifiers: list[str]  # its order line's, e.g. "no onion"
    allergens: list[str]  # its order line's allergen flags
    # Re-fire and recall: the attempt (1 for the first run; +1 per re-fire), the start its
    # completion timer is keyed by (+1 per start or recall), when that timer is due, and
    # whether its order line was voided after it started.
    attempt: int
    start_no: int
    due_at: datetime | None
    voided: bool
    held: bool  # its course is on hold: it waits for the order to fire it


class TaskView(TaskFields, frozen=True, kw_only=True):
    """A task with the assignment number its timeout is keyed by."""

    assignment_no: int

    @property
    def is_ready(self) -> bool:
        return self.status == "UNASSIGNED" and self.pending_deps == 0 and self.ready_at is not None

    @classmethod
    def of(cls, task: Task) -> TaskView:
        return cls(
            task_id=task.id,
            order_id=task.order_id,
            item_key=task.item_key,
            unit=task.unit,
            step_no=task.step_no,
            description=task.description,
            counter=task.counter,
            machine=task.machine,
            estimate_secs=task.estimate_secs,
            base_priority=task.base_priority,
            priority=task.priority,
            rush_credit_secs=task.rush_credit_secs,
            tail_secs=task.tail_secs,
            status=str(task.status),
            pending_deps=task.pending_deps,
            depends_on=list(task.depends_on),
            ready_at=task.ready_at,
            assigned_staff_id=task.assigned_staff_id,
            assigned_staff=task.assigned_staff,
            assigned_machine=task.assigned_machine,
            assigned_at=task.assigned_at,
            started_at=task.started_at,
            completed_at=task.completed_at,
            requeue_count=task.requeue_count,
            machine_kind=task.machine_kind,
            interrupted_at=task.interrupted_at,
            modifiers=list(task.modifiers),
            allergens=list(task.allergens),
            attempt=task.attempt,
            start_no=task.start_no,
            due_at=task.due_at,
            voided=task.voided,
            held=task.held,
            assignment_no=task.assignment_no,
        )


class OrderFields(msgspec.Struct, frozen=True, kw_only=True):
    """An order as every reader sees it, before its tasks and what is computed from them."""

    order_id: UUID
    external_order_id: str
    status: str
    priority: str
    items: dict[str, int]
    created_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None
    rush_credit_secs: float
    promised_ready_at: datetime | None
    table: str | None
    guest: str | None
    channel: str  # dine_in | takeaway | delivery
    note: str | None
    modifiers: dict[str, list[str]]  # by item key; items without any are absent
    allergens: dict[str, list[str]]
    voided_items: dict[str, str]  # lines voided: item key → reason
    courses: dict[str, int]  # every item's course (1 unless the confirm said otherwise)
    held_courses: list[int]  # courses waiting for a fire
    pace: str  # "asap", or "together": first steps staggered so the plates finish together


class OrderView(OrderFields, frozen=True, kw_only=True):
    """An order with its tasks, and whether it is late for its promise."""

    late: bool
    tasks: list[TaskView]

    @property
    def ready_task_ids(self) -> list[UUID]:
        return [t.task_id for t in self.tasks if t.is_ready]

    @property
    def promised_secs(self) -> float | None:
        """The promise as a ticket time: seconds from confirm to the promised ready time."""
        if self.promised_ready_at is None:
            return None
        return (self.promised_ready_at - self.created_at).total_seconds()

    @classmethod
    def of(cls, order: Order, tasks: list[Task], now: datetime) -> OrderView:
        """The order as of ``now`` (``late`` compares the promise with ``now`` while open)."""
        return cls(
            order_id=order.id,
            external_order_id=order.external_order_id,
            status=str(order.status),
            priority=order.priority,
            items=dict(order.items),
            created_at=order.created_at,
            completed_at=order.completed_at,
            cancelled_at=order.cancelled_at,
            rush_credit_secs=order.rush_credit_secs,
            promised_ready_at=order.promised_ready_at,
            table=order.table,
            guest=order.guest,
            channel=order.channel,
            note=order.note,
            modifiers={k: list(v) for k, v in order.modifiers.items()},
            allergens={k: list(v) for k, v in order.allergens.items()},
            voided_items=dict(order.voided_items),
            courses=dict(order.courses),
            held_courses=list(order.held_courses),
            pace=order.pace,
            late=order.is_late(now),
            tasks=[TaskView.of(t) for t in tasks],
        )


class StationView(msgspec.Struct, frozen=True):
    name: str
    kind: str
    counter: str | None
    capacity: int
    up: bool
    in_use: int
    machine_kind: str | None = None  # a machine's pool (its own name unless given)

    @classmethod
    def of(cls, station: Station) -> StationView:
        return cls(
            name=station.name,
            kind=station.kind,
            counter=station.counter,
            capacity=station.capacity,
            up=station.up,
            in_use=len(station.holders),
            machine_kind=station.machine_kind,
        )


class StaffView(msgspec.Struct, frozen=True, kw_only=True):
    """A cook and their current load, as every reader sees them."""

    staff_id: UUID
    name: str
    skills: list[str]
    max_parallel: int
    efficiency_multiplier: float
    shift_start: str
    shift_end: str
    on_break: bool
    on_shift: bool
    active_tasks: list[UUID]
    active_secs: float

    @classmethod
    def of(cls, staff: Staff, now: datetime) -> StaffView:
        return cls(
            staff_id=staff.id,
            name=staff.name,
            skills=list(staff.skills),
            max_parallel=staff.max_parallel,
            efficiency_multiplier=staff.efficiency,
            shift_start=staff.shift_start,
            shift_end=staff.shift_end,
            on_break=staff.on_break,
            on_shift=staff.shift.on_shift(now),
            active_tasks=list(staff.active_tasks),
            active_secs=staff.active_secs,
        )


class RecipeView(msgspec.Struct, frozen=True):
    item_key: str
    revision: int
    retired: bool
    available: bool  # False while the item is 86'd
    steps: list[dict[str, object]]
    dependencies: list[tuple[int, int]]
    explicit_dependencies: bool
    effective_dependencies: dict[int, list[int]]

    @classmethod
    def of(cls, recipe: Recipe, effective: dict[int, list[int]]) -> RecipeView:
        return cls(
            item_key=recipe.item_key,
            revision=recipe.revision,
            retired=recipe.retired,
            available=recipe.available,
            steps=[s.to_dict() for s in recipe.steps],
            dependencies=recipe.dependencies,
            explicit_dependencies=bool(recipe.dependencies),
            effective_dependencies=effective,
        )


class AllDayItem(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one item with a step at a counter: waiting (none of those steps started yet)
    or in progress (one is started)."""

    item_key: str
    waiting: int
    in_progress: int


class AllDayStep(msgspec.Struct, frozen=True, kw_only=True):
    """Tasks of one recipe step at a counter, not started yet or started."""

    item_key: str
    step_no: int
    description: str
    waiting: int
    in_progress: int


class AllDayCounter(msgspec.Struct, frozen=True, kw_only=True):
    """A counter's all-day: its open tasks (waiting = unassigned or assigned, in progress =
    started), by item and by step."""

    counter: str
    waiting: int
    in_progress: int
    items: list[AllDayItem]
    steps: list[AllDayStep]


class AssignmentView(msgspec.Struct, frozen=True):
    task_id: UUID
    staff_id: UUID
    staff_name: str
    counter: str
    machine: str | None


class AllocationResult(msgspec.Struct, frozen=True):
    assigned: list[AssignmentView] = msgspec.field(default_factory=list)
    blocked: dict[str, int] = msgspec.field(default_factory=dict)
    attempts: int = 1
    # The pass saw every queued task of every group it could place in (none cut short at
    # its fetch limit), so another pass on the same queue would place nothing more.
    saw_all: bool = False


class QueuedTask(msgspec.Struct, frozen=True):
    task: TaskView
    aged_priority: float  # the first version's key, for comparison only
    dispatch_age_secs: float  # now - score: the order's age plus its rush credit
