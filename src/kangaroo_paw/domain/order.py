"""The Order aggregate: a confirmed ticket and the progress of its tasks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import (
    InvalidOrder,
    InvalidTransition,
    LineAlreadyVoided,
    LineNotFound,
    NotHeld,
)
from kangaroo_paw.domain.scoring import DEFAULT_RUSH_CREDIT_SECS
from kangaroo_paw.domain.ticket import Channel, Ticket


class OrderStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    PART_COMPLETED = "PART_COMPLETED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Priority(StrEnum):
    NORMAL = "normal"
    RUSH = "rush"


class Pace(StrEnum):
    """When an order's items start: as soon as they can (``asap``), or staggered so that its
    plates finish close together (``together``: an item's first step waits for the longest
    item's critical path minus its own)."""

    ASAP = "asap"
    TOGETHER = "together"


MAX_COURSE = 9


def check_courses(
    items: dict[str, int], courses: dict[str, int] | None, hold: list[int] | bool | None
) -> tuple[dict[str, int], list[int]]:
    """The course of every item (1 unless given) and the sorted held courses; ``hold=True``
    holds every course of the order. Raises ``InvalidOrder`` naming what is wrong."""
    given = courses or {}
    unknown = sorted(set(given) - set(items))
    if unknown:
        raise InvalidOrder(f"courses names items not in the order: {unknown}", items=unknown)
    for key, course in given.items():
        if isinstance(course, bool) or not isinstance(course, int):
            raise InvalidOrder(f"course of {key!r} must be an integer", item=key)
        if not 1 <= course <= MAX_COURSE:
            raise InvalidOrder(
                f"course of {key!r} must be from 1 to {MAX_COURSE}, got {course}", item=key
            )
    planned = {key: given.get(key, 1) for key in items}
    present = sorted(set(planned.values()))
    if hold is True:
        return planned, present
    if hold is None or hold is False:
        return planned, []
    missing = sorted({c for c in hold if c not in present})
    if missing:
        raise InvalidOrder(
            f"hold names courses the order does not have: {missing}", courses=missing
        )
    return planned, sorted(set(hold))


class Order(Aggregate):
    """A confirmed order. Every task completion passes through it, so the last one to finish
    always sees the others (optimistic concurrency retries a racing completion)."""

    TOPIC = "kangaroo_paw.order.v1"
    class_version = 3  # snapshots: v2 rush credit and promise; v3 ticket, voids, courses

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["rush_credit_secs"] = (
            DEFAULT_RUSH_CREDIT_SECS if state["priority"] == Priority.RUSH else 0.0
        )
        state["promised_ready_at"] = None
        state.setdefault("confirmed_priority", state["priority"])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Orders snapshotted before ticket content, voids and courses: an empty ticket,
        nothing voided, every item in course 1, nothing held, paced asap."""
        _empty_ticket(state)
        state["voided_items"] = {}
        state["voided_task_ids"] = []
        state["courses"] = dict.fromkeys(state["items"], 1)
        state["held_courses"] = []
        state["confirmed_held"] = []
        state["pace"] = str(Pace.ASAP)
        state["pending_releases"] = {}

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.order.confirmed.v1"
        WIRE: ClassVar[str] = "ORDER_CONFIRMED"
        class_version = 3
        external_order_id: str
        items: dict[str, int]
        priority: str
        task_ids: list[UUID]
        confirmed_at: datetime
        rush_credit_secs: float
        promised_ready_at: datetime | None
        table: str | None
        guest: str | None
        channel: str
        note: str | None
        modifiers: dict[str, list[str]]
        allergens: dict[str, list[str]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Orders confirmed before v2 had no promise; a rush had the default credit."""
            state["rush_credit_secs"] = (
                DEFAULT_RUSH_CREDIT_SECS if state["priority"] == Priority.RUSH else 0.0
            )
            state["promised_ready_at"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Orders confirmed before v3 had no ticket content: a dine-in ticket, no more."""
            _empty_ticket(state)

    class Reprioritised(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.reprioritised.v1"
        WIRE: ClassVar[str] = "ORDER_REPRIORITISED"
        old_priority: str
        new_priority: str
        rush_credit_secs: float
        reprioritised_at: datetime

    class StatusChanged(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.status_changed.v1"
        WIRE: ClassVar[str] = "ORDER_STATUS_CHANGED"
        old_status: str
        new_status: str
        changed_at: datetime

    class TaskCompleted(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.task_completed.v1"
        WIRE: ClassVar[str] = "ORDER_TASK_COMPLETED"
        task_id: UUID
        completed_count: int

    class TaskReopened(Aggregate.Event):
        """A counted completion undone (the task was recalled or re-fired)."""

        TOPIC = "kangaroo_paw.order.task_reopened.v1"
        WIRE: ClassVar[str] = "ORDER_TASK_REOPENED"
        task_id: UUID
        completed_count: int
        reopened_at: datetime

    class LineVoided(Aggregate.Event):
        """An item line taken off the order; its tasks no longer count for it."""

        TOPIC = "kangaroo_paw.order.line_voided.v1"
        WIRE: ClassVar[str] = "ORDER_LINE_VOIDED"
        item_key: str
        reason: str
        task_ids: list[UUID]
        voided_at: datetime

    class Coursed(Aggregate.Event):
        """Recorded in the confirm's save when an order has courses, holds or is paced."""

        TOPIC = "kangaroo_paw.order.coursed.v1"
        WIRE: ClassVar[str] = "ORDER_COURSED"
        courses: dict[str, int]
        held_courses: list[int]
        pace: str

    class CourseFired(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.course_fired.v1"
        WIRE: ClassVar[str] = "ORDER_COURSE_FIRED"
        courses: list[int]
        fired_at: datetime

    class ReleasesPlanned(Aggregate.Event):
        """Items of a paced order whose first steps wait until the given times (a timer)."""

        TOPIC = "kangaroo_paw.order.releases_planned.v1"
        WIRE: ClassVar[str] = "ORDER_RELEASES_PLANNED"
        releases: dict[str, datetime]

    class ItemsReleased(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.items_released.v1"
        WIRE: ClassVar[str] = "ORDER_ITEMS_RELEASED"
        items: list[str]
        released_at: datetime

    class Cancelled(Aggregate.Event):
        TOPIC = "kangaroo_paw.order.cancelled.v1"
        WIRE: ClassVar[str] = "ORDER_CANCELLED"
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
        rush_credit_secs: float,
        promised_ready_at: datetime | None,
        table: str | None,
        guest: str | None,
        channel: str,
        note: str | None,
        modifiers: dict[str, list[str]],
        allergens: dict[str, list[str]],
    ) -> None:
        """The ticket fields are ``Ticket.fields()`` of a checked ticket."""
        self.external_order_id = external_order_id
        self.items = dict(items)
        self.priority = priority
        self.confirmed_priority = priority  # what a retried confirm must repeat
        self.task_ids = list(task_ids)
        self.created_at = confirmed_at
        self.rush_credit_secs = rush_credit_secs
        self.promised_ready_at = promised_ready_at
        self.status = OrderStatus.CONFIRMED
        self.completed_task_ids: list[UUID] = []
        self.completed_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.table = table
        self.guest = guest
        self.channel = channel
        self.note = note
        self.modifiers = {k: list(v) for k, v in modifiers.items()}
        self.allergens = {k: list(v) for k, v in allergens.items()}
        self.voided_items: dict[str, str] = {}  # item key → reason
        self.voided_task_ids: list[UUID] = []
        self.courses = dict.fromkeys(self.items, 1)
        self.held_courses: list[int] = []
        self.confirmed_held: list[int] = []  # what a retried confirm must repeat
        self.pace = str(Pace.ASAP)
        self.pending_releases: dict[str, datetime] = {}

    @property
    def ticket(self) -> Ticket:
        return Ticket(
            table=self.table,
            guest=self.guest,
            channel=self.channel,
            note=self.note,
            modifiers={k: list(v) for k, v in self.modifiers.items()},
            allergens={k: list(v) for k, v in self.allergens.items()},
        )

    def same_request(
        self,
        items: dict[str, int],
        priority: str,
        ticket: Ticket,
        courses: dict[str, int] | None = None,
        held: list[int] | None = None,
        pace: str = Pace.ASAP,
    ) -> bool:
        """Whether a repeated confirm carries exactly this order's payload (``ticket``
        checked, as the order recorded it; the course plan, hold and pace included)."""
        return (
            self.items == items
            and self.confirmed_priority == priority
            and self.ticket == ticket
            and self.courses == (courses if courses is not None else dict.fromkeys(items, 1))
            and self.confirmed_held == (held or [])
            and self.pace == pace
        )

    def plan_courses(self, courses: dict[str, int], held: list[int], pace: str) -> None:
        """Record the course plan, the held courses and the pace (only when any differs from
        the default: one course, nothing held, asap), in the confirm's save."""
        if pace not in (Pace.ASAP, Pace.TOGETHER):
            raise InvalidOrder(f"pace must be 'asap' or 'together', not {pace!r}")
        if set(courses) != set(self.items):
            raise InvalidOrder("courses must name every item of the order")
        if all(c == 1 for c in courses.values()) and not held and pace == Pace.ASAP:
            return
        self._coursed(courses=dict(courses), held_courses=list(held), pace=str(pace))

    def items_in(self, courses: list[int]) -> list[str]:
        """The items served in ``courses``, in item order."""
        return [key for key in self.items if self.courses[key] in courses]

    @property
    def held_items(self) -> list[str]:
        return self.items_in(self.held_courses)

    def fire(self, course: int | None, at: datetime) -> list[int]:
        """Fire one held course (or every held course): returns the courses fired."""
        if self.is_final:
            raise InvalidTransition(
                f"order {self.id} is {self.status} and cannot be fired",
                order_id=str(self.id),
                status=str(self.status),
            )
        if course is None:
            fired = list(self.held_courses)
        elif course in self.held_courses:
            fired = [course]
        else:
            fired = []
        if not fired:
            wanted = "any held course" if course is None else f"course {course} on hold"
            raise NotHeld(
                f"order {self.id} has no {wanted}",
                order_id=str(self.id),
                course=course,
                held_courses=list(self.held_courses),
            )
        self._course_fired(courses=fired, fired_at=at)
        return fired

    def plan_releases(self, releases: dict[str, datetime]) -> None:
        """Items whose first steps wait until the given times (finish-together pacing)."""
        if releases:
            self._releases_planned(releases=dict(releases))

    def due_releases(self, until: datetime) -> list[str]:
        """Items whose planned release is at or before ``until`` (none once final)."""
        if self.is_final:
            return []
        return [key for key, at in self.pending_releases.items() if at <= until]

    def release_items(self, items: list[str], at: datetime) -> None:
        if items:
            self._items_released(items=list(items), released_at=at)

    @property
    def is_final(self) -> bool:
        return self.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

    def task_assigned(self, at: datetime) -> None:
        """The first assignment moves a confirmed order into progress."""
        if self.status == OrderStatus.CONFIRMED:
            self._status_changed(
                old_status=str(self.status), new_status=OrderStatus.IN_PROGRESS, changed_at=at
            )

    @property
    def all_done(self) -> bool:
        """Every task of a line still on the order is completed."""
        done = set(self.completed_task_ids)
        voided = set(self.voided_task_ids)
        return all(t in done for t in self.task_ids if t not in voided)

    def task_completed(self, task_id: UUID, at: datetime) -> None:
        if task_id not in self.task_ids:
            raise InvalidTransition(f"task {task_id} is not part of order {self.id}")
        if task_id in self.voided_task_ids:
            return  # its line was voided: finishing it does not matter for the order
        if task_id in self.completed_task_ids:
            raise InvalidTransition(f"task {task_id} already counted as completed")
        if self.status == OrderStatus.CANCELLED:
            raise InvalidTransition(f"order {self.id} is cancelled")
        self._task_completed(task_id=task_id, completed_count=len(self.completed_task_ids) + 1)
        if self.all_done:
            new = OrderStatus.COMPLETED
        elif self.status in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS):
            new = OrderStatus.PART_COMPLETED
        else:
            return
        self._status_changed(old_status=str(self.status), new_status=new, changed_at=at)

    def task_reopened(self, task_id: UUID, at: datetime) -> None:
        """Un-count a completion (recall, re-fire): a COMPLETED order is in progress again,
        PART_COMPLETED while other completions remain, IN_PROGRESS when none do."""
        if self.status == OrderStatus.CANCELLED:
            raise InvalidTransition(
                f"order {self.id} is cancelled", order_id=str(self.id), status=str(self.status)
            )
        if task_id not in self.completed_task_ids:
            raise InvalidTransition(f"task {task_id} is not counted as completed")
        self._task_reopened(
            task_id=task_id, completed_count=len(self.completed_task_ids) - 1, reopened_at=at
        )
        new = OrderStatus.PART_COMPLETED if self.completed_task_ids else OrderStatus.IN_PROGRESS
        if self.status != new:
            self._status_changed(old_status=str(self.status), new_status=new, changed_at=at)

    def void_line(self, item_key: str, reason: str, task_ids: list[UUID], at: datetime) -> None:
        """Take the ``item_key`` line off an open order; ``task_ids`` are its tasks. When
        everything left is done the order is COMPLETED; when no line is left it is
        CANCELLED (the caller withdraws the open tasks, as for a cancel)."""
        if self.is_final:
            raise InvalidTransition(
                f"order {self.id} is {self.status}; only an open order's lines can be voided",
                order_id=str(self.id),
                status=str(self.status),
            )
        if item_key not in self.items:
            raise LineNotFound(
                f"order {self.id} has no line {item_key!r}",
                order_id=str(self.id),
                item_key=item_key,
            )
        if item_key in self.voided_items:
            raise LineAlreadyVoided(
                f"line {item_key!r} of order {self.id} is voided already",
                order_id=str(self.id),
                item_key=item_key,
            )
        self._line_voided(item_key=item_key, reason=reason, task_ids=task_ids, voided_at=at)
        if len(self.voided_items) == len(self.items):
            self.cancel(at, reason or f"every line voided (last: {item_key})")
        elif self.all_done:
            self._status_changed(
                old_status=str(self.status), new_status=OrderStatus.COMPLETED, changed_at=at
            )

    def reprioritise(self, priority: str, rush_credit_secs: float, at: datetime) -> bool:
        """Rush or un-rush an open order; returns False when nothing changes."""
        if priority not in (Priority.NORMAL, Priority.RUSH):
            raise InvalidTransition(f"priority must be 'normal' or 'rush', not {priority!r}")
        if self.is_final:
            raise InvalidTransition(
                f"order {self.id} is {self.status} and cannot be re-prioritised",
                order_id=str(self.id),
                status=str(self.status),
            )
        if priority == self.priority and rush_credit_secs == self.rush_credit_secs:
            return False
        self._reprioritised(
            old_priority=self.priority,
            new_priority=priority,
            rush_credit_secs=rush_credit_secs,
            reprioritised_at=at,
        )
        return True

    def is_late(self, now: datetime) -> bool:
        """Completed after its promise, or still open past it (never late without one)."""
        if self.promised_ready_at is None or self.status == OrderStatus.CANCELLED:
            return False
        finished = self.completed_at if self.completed_at is not None else now
        return finished > self.promised_ready_at

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
        # A recall or re-fire can take a COMPLETED order back into progress.
        self.completed_at = changed_at if self.status == OrderStatus.COMPLETED else None

    @event(TaskCompleted)
    def _task_completed(self, task_id: UUID, completed_count: int) -> None:
        self.completed_task_ids.append(task_id)

    @event(TaskReopened)
    def _task_reopened(self, task_id: UUID, completed_count: int, reopened_at: datetime) -> None:
        self.completed_task_ids.remove(task_id)

    @event(LineVoided)
    def _line_voided(
        self, item_key: str, reason: str, task_ids: list[UUID], voided_at: datetime
    ) -> None:
        self.voided_items[item_key] = reason
        self.voided_task_ids.extend(task_ids)

    @event(Reprioritised)
    def _reprioritised(
        self,
        old_priority: str,
        new_priority: str,
        rush_credit_secs: float,
        reprioritised_at: datetime,
    ) -> None:
        self.priority = new_priority
        self.rush_credit_secs = rush_credit_secs

    @event(Coursed)
    def _coursed(self, courses: dict[str, int], held_courses: list[int], pace: str) -> None:
        self.courses = dict(courses)
        self.held_courses = list(held_courses)
        self.confirmed_held = list(held_courses)
        self.pace = pace

    @event(CourseFired)
    def _course_fired(self, courses: list[int], fired_at: datetime) -> None:
        self.held_courses = [c for c in self.held_courses if c not in courses]

    @event(ReleasesPlanned)
    def _releases_planned(self, releases: dict[str, datetime]) -> None:
        self.pending_releases.update(releases)

    @event(ItemsReleased)
    def _items_released(self, items: list[str], released_at: datetime) -> None:
        for key in items:
            self.pending_releases.pop(key, None)

    @event(Cancelled)
    def _cancelled(self, old_status: str, cancelled_at: datetime, reason: str) -> None:
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = cancelled_at


def _empty_ticket(state: dict[str, Any]) -> None:
    state.update(
        table=None, guest=None, channel=str(Channel.DINE_IN), note=None, modifiers={}, allergens={}
    )
