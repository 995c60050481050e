"""The Task aggregate: one recipe step for one unit of one order line."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import (
    Forbidden,
    InvalidTransition,
    RecallWindowPassed,
    TaskVoided,
)
from kangaroo_paw.domain.scoring import DEFAULT_RUSH_CREDIT_SECS, SortKey, dispatch_key


class TaskStatus(StrEnum):
    UNASSIGNED = "UNASSIGNED"
    ASSIGNED = "ASSIGNED"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


ACTIVE = (TaskStatus.ASSIGNED, TaskStatus.STARTED)


class HandBackReason(StrEnum):
    """Why a cook gave back an assignment they had not started."""

    BREAK = "break"  # the cook went on break
    OFF_SHIFT = "off_shift"  # the cook's shift was changed and now excludes the present


class Task(Aggregate):
    """A unit of kitchen work with its dependencies, reservation and timings."""

    TOPIC = "kangaroo_paw.task.v1"

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.task.created.v1"
        WIRE: ClassVar[str] = "TASK_CREATED"
        class_version = 4
        order_id: UUID
        item_key: str
        unit: int
        step_no: int
        description: str
        counter: str
        machine: str | None
        estimate_secs: float
        base_priority: float
        boost: float
        depends_on: list[UUID]
        dependents: list[UUID]
        created_at: datetime
        tail_secs: float
        rush_credit_secs: float
        machine_kind: str | None
        modifiers: list[str]
        allergens: list[str]
        order_path_secs: float

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Tasks confirmed before order-age-first: the remaining path is unknown without
            the recipe revision, so it is the step's own estimate; a rushed order (boost > 0)
            gets the default rush credit."""
            state["tail_secs"] = state["estimate_secs"]
            state["rush_credit_secs"] = DEFAULT_RUSH_CREDIT_SECS if state["boost"] > 0 else 0.0

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Tasks confirmed before machine pools and ticket content: they name their machine
            (or none), and their line had no modifiers or allergens."""
            state["machine_kind"] = None
            state["modifiers"] = []
            state["allergens"] = []

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """Tasks confirmed before the order's critical path joined the dispatch key: 0, so
            their key (and their place in a rebuilt queue) is the one they were queued with."""
            state["order_path_secs"] = 0.0

    class BecameReady(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.ready.v1"
        WIRE: ClassVar[str] = "TASK_READY"
        ready_at: datetime

    class DependencyMet(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.dependency_met.v1"
        WIRE: ClassVar[str] = "TASK_DEPENDENCY_MET"
        dependency_id: UUID

    class Assigned(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.assigned.v1"
        WIRE: ClassVar[str] = "TASK_ASSIGNED"
        staff_id: UUID
        staff_name: str
        machine: str | None
        assignment_no: int
        assigned_at: datetime

    class Started(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.started.v1"
        WIRE: ClassVar[str] = "TASK_STARTED"
        class_version = 2
        staff_id: UUID
        started_at: datetime
        due_at: datetime
        start_no: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Before re-fire and recall a task started once: its completion timer is the
            first start's."""
            state["start_no"] = 1

    class Completed(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.completed.v1"
        WIRE: ClassVar[str] = "TASK_COMPLETED"
        completed_at: datetime
        actual_secs: float

    class Requeued(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.requeued.v1"
        WIRE: ClassVar[str] = "TASK_REQUEUED"
        boost: float
        assignment_no: int
        requeued_at: datetime

    class Reprioritised(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.reprioritised.v1"
        WIRE: ClassVar[str] = "TASK_REPRIORITISED"
        rush_credit_secs: float
        boost: float
        reprioritised_at: datetime

    class Rerouted(Aggregate.Event):
        """An ASSIGNED task whose machine went down before it started: back in the queue at
        once, at its place, for any live machine of its kind (or this one when it is back)."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.rerouted.v1"
        WIRE: ClassVar[str] = "TASK_REROUTED"
        machine: str
        assignment_no: int
        rerouted_at: datetime

    class HandedBack(Aggregate.Event):
        """An ASSIGNED task whose cook went on break (or off shift by a change) before
        starting it: back in the queue at once, at its place, with the stale requeue's boost,
        instead of holding the cook's, counter's and machine's slots until the timeout."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.handed_back.v1"
        WIRE: ClassVar[str] = "TASK_HANDED_BACK"
        staff_id: UUID
        reason: str
        boost: float
        assignment_no: int
        handed_back_at: datetime

    class Interrupted(Aggregate.Event):
        """A STARTED task whose machine went down: it keeps running to completion (the basket
        is already in the oil); this records that it ran through an outage."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.interrupted.v1"
        WIRE: ClassVar[str] = "TASK_INTERRUPTED"
        machine: str
        interrupted_at: datetime

    class Held(Aggregate.Event):
        """Confirmed on hold (its course is held): it waits for a fire, even when ready."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.held.v1"
        WIRE: ClassVar[str] = "TASK_HELD"
        course: int

    class Fired(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.fired.v1"
        WIRE: ClassVar[str] = "TASK_FIRED"
        fired_at: datetime

    class Cancelled(Aggregate.Event):
        order_id: UUID
        TOPIC = "kangaroo_paw.task.cancelled.v1"
        WIRE: ClassVar[str] = "TASK_CANCELLED"
        cancelled_at: datetime
        previous_status: str

    class Recalled(Aggregate.Event):
        """A completion undone within the recall window: STARTED again under a new start
        number, with a fresh estimate (``due_at``) for its completion timer."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.recalled.v1"
        WIRE: ClassVar[str] = "TASK_RECALLED"
        start_no: int
        due_at: datetime
        recalled_at: datetime

    class Refired(Aggregate.Event):
        """The step is done again (a dropped plate): a new attempt, ready at once, keeping
        the task's dispatch key (its order's place in the queue)."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.refired.v1"
        WIRE: ClassVar[str] = "TASK_REFIRED"
        attempt: int
        previous_status: str
        reason: str
        refired_at: datetime

    class DependencyReopened(Aggregate.Event):
        """A dependency this task had seen complete was recalled or re-fired: the task waits
        for it again (and gives back an assignment it had)."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.dependency_reopened.v1"
        WIRE: ClassVar[str] = "TASK_DEPENDENCY_REOPENED"
        dependency_id: UUID
        reopened_at: datetime

    class Voided(Aggregate.Event):
        """Its order line was voided after it started: it may still finish, but that no
        longer counts for the order."""

        order_id: UUID
        TOPIC = "kangaroo_paw.task.voided.v1"
        WIRE: ClassVar[str] = "TASK_VOIDED"
        reason: str
        voided_at: datetime

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        order_id: UUID,
        item_key: str,
        unit: int,
        step_no: int,
        description: str,
        counter: str,
        machine: str | None,
        estimate_secs: float,
        base_priority: float,
        boost: float,
        depends_on: list[UUID],
        dependents: list[UUID],
        created_at: datetime,
        tail_secs: float,
        rush_credit_secs: float,
        machine_kind: str | None,
        modifiers: list[str],
        allergens: list[str],
        order_path_secs: float,
    ) -> None:
        """``modifiers`` and ``allergens`` are its order line's, for the cook's screen;
        ``order_path_secs`` is its order's critical path at confirm (the dispatch key's)."""
        self.order_id = order_id
        self.item_key = item_key
        self.unit = unit
        self.step_no = step_no
        self.description = description
        self.counter = counter
        self.machine = machine
        self.machine_kind = machine_kind  # a pool step: any machine of this kind at the counter
        self.estimate_secs = estimate_secs
        self.base_priority = base_priority
        self.boost = boost
        self.requeue_boost = 0.0
        self.depends_on = list(depends_on)
        self.dependents = list(dependents)
        self.pending_deps = len(depends_on)
        self.deps_met: list[UUID] = []  # the dependencies seen completed (and not reopened)
        self.created_at = created_at  # the order's confirm time: every task is made then
        self.tail_secs = tail_secs
        self.rush_credit_secs = rush_credit_secs
        self.order_path_secs = order_path_secs
        self.modifiers = list(modifiers)
        self.allergens = list(allergens)
        self.status = TaskStatus.UNASSIGNED
        self.ready_at: datetime | None = None
        self.assigned_staff_id: UUID | None = None
        self.assigned_staff: str | None = None
        self.assigned_machine: str | None = None
        self.assigned_at: datetime | None = None
        self.started_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.interrupted_at: datetime | None = None
        self.assignment_no = 0
        self.requeue_count = 0
        self.attempt = 1  # +1 per re-fire
        self.start_no = 0  # +1 each time it enters STARTED (start, recall): keys its timer
        self.due_at: datetime | None = None
        self.voided = False
        self.held = False

    # -- queries -----------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """Unassigned, released (``ready_at``: a root held or paced is not yet) and with every
        dependency completed: the allocator may place it."""
        return (
            self.status == TaskStatus.UNASSIGNED
            and self.pending_deps == 0
            and self.ready_at is not None
        )

    @property
    def is_unreleased_root(self) -> bool:
        """A first step that waits for its order to fire or pace it, not for another step."""
        return (
            self.status == TaskStatus.UNASSIGNED and not self.depends_on and self.ready_at is None
        )

    @property
    def priority(self) -> float:
        """The first version's priority before aging: base + rush boost + requeue boost.
        Production dispatch uses ``dispatch_key``; this is kept for the ``v1`` comparison."""
        return self.base_priority + self.boost + self.requeue_boost

    @property
    def dispatch_key(self) -> SortKey:
        """Order-age-first pick order (ascending): see ``scoring.dispatch_key``."""
        return dispatch_key(
            self.created_at.timestamp(),
            self.rush_credit_secs,
            self.order_id,
            self.tail_secs,
            self.base_priority,
            self.id,
            self.order_path_secs,
        )

    @property
    def is_final(self) -> bool:
        return self.status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED)

    # -- commands ----------------------------------------------------------------------------

    def mark_ready(self, at: datetime) -> None:
        """Root tasks become ready at confirm time (held ones when fired, paced ones at their
        release); others when their last parent completes."""
        if self.status != TaskStatus.UNASSIGNED or self.pending_deps or self.ready_at:
            raise InvalidTransition(f"task {self.id} cannot become ready", task_id=str(self.id))
        if self.held:
            raise InvalidTransition(f"task {self.id} is held", task_id=str(self.id))
        self._ready(order_id=self.order_id, ready_at=at)

    def hold(self, course: int) -> None:
        """Put a new task of a held course on hold (before it was ever ready)."""
        if self.status != TaskStatus.UNASSIGNED or self.ready_at is not None or self.held:
            raise InvalidTransition(f"task {self.id} cannot be held", task_id=str(self.id))
        self._held(order_id=self.order_id, course=course)

    def fire(self, at: datetime) -> None:
        """Take a held task off hold; a root becomes ready separately (now, or paced)."""
        if not self.held:
            raise InvalidTransition(f"task {self.id} is not held", task_id=str(self.id))
        self._fired(order_id=self.order_id, fired_at=at)

    def dependency_met(self, dependency_id: UUID, at: datetime) -> None:
        if dependency_id not in self.depends_on:
            raise InvalidTransition(f"task {self.id} does not wait for {dependency_id}")
        if self.status == TaskStatus.CANCELLED or dependency_id in self.deps_met:
            return  # cancelled, or went ahead while the dependency was re-done
        self._dependency_met(order_id=self.order_id, dependency_id=dependency_id)
        if self.pending_deps == 0:
            self._ready(order_id=self.order_id, ready_at=at)

    def assign(
        self, staff_id: UUID, staff_name: str, at: datetime, machine: str | None = None
    ) -> None:
        """Give the task to a cook; a pool step also needs the ``machine`` of its kind that
        the allocator chose (a step that names its machine gets that one)."""
        if not self.is_ready:
            raise InvalidTransition(
                f"task {self.id} is {self._state_word()}, not ready", task_id=str(self.id)
            )
        if self.machine_kind is None:
            if machine not in (None, self.machine):
                raise InvalidTransition(
                    f"task {self.id} runs on {self.machine}, not {machine}", task_id=str(self.id)
                )
            machine = self.machine
        elif machine is None:
            raise InvalidTransition(
                f"task {self.id} needs a {self.machine_kind} machine", task_id=str(self.id)
            )
        self._assigned(
            order_id=self.order_id,
            staff_id=staff_id,
            staff_name=staff_name,
            machine=machine,
            assignment_no=self.assignment_no + 1,
            assigned_at=at,
        )

    def start(self, at: datetime, staff_id: UUID | None = None) -> None:
        if self.status != TaskStatus.ASSIGNED:
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only an ASSIGNED task can start",
                task_id=str(self.id),
                status=str(self.status),
            )
        if staff_id is not None and staff_id != self.assigned_staff_id:
            raise Forbidden(f"task {self.id} is assigned to another cook", task_id=str(self.id))
        assert self.assigned_staff_id is not None
        self._started(
            order_id=self.order_id,
            staff_id=self.assigned_staff_id,
            started_at=at,
            due_at=at + timedelta(seconds=self.estimate_secs),
            start_no=self.start_no + 1,
        )

    def complete(self, at: datetime) -> None:
        if self.status != TaskStatus.STARTED:
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only a STARTED task can complete",
                task_id=str(self.id),
                status=str(self.status),
            )
        assert self.started_at is not None
        actual = max(0.0, (at - self.started_at).total_seconds())
        self._completed(order_id=self.order_id, completed_at=at, actual_secs=actual)

    def requeue(self, boost: float, at: datetime, assignment_no: int | None = None) -> None:
        """Send a stale assignment back to the queue with a boost kept until reassigned."""
        if self.status != TaskStatus.ASSIGNED:
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only an ASSIGNED task is requeued",
                task_id=str(self.id),
            )
        if assignment_no is not None and assignment_no != self.assignment_no:
            raise InvalidTransition(
                f"task {self.id} was reassigned since assignment {assignment_no}",
                task_id=str(self.id),
            )
        self._requeued(
            order_id=self.order_id, boost=boost, assignment_no=self.assignment_no, requeued_at=at
        )

    def hand_back(self, staff_id: UUID, reason: HandBackReason, boost: float, at: datetime) -> None:
        """Give back an assignment ``staff_id`` has not started (see ``HandedBack``); the
        caller releases what it held first (``held_stations`` says what while ASSIGNED)."""
        if self.status != TaskStatus.ASSIGNED or self.assigned_staff_id != staff_id:
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only an ASSIGNED task is handed back by its "
                "cook",
                task_id=str(self.id),
                status=str(self.status),
            )
        self._handed_back(
            order_id=self.order_id,
            staff_id=staff_id,
            reason=str(reason),
            boost=boost,
            assignment_no=self.assignment_no,
            handed_back_at=at,
        )

    def machine_down(self, machine: str, at: datetime) -> None:
        """The machine this task holds went down: an ASSIGNED task is rerouted (back to the
        queue at its place, its dispatch key unchanged, no boost needed); a STARTED one keeps
        running and is marked interrupted. The caller releases what a rerouted task held."""
        if self.assigned_machine != machine or self.status not in ACTIVE:
            raise InvalidTransition(
                f"task {self.id} does not hold machine {machine}", task_id=str(self.id)
            )
        if self.status == TaskStatus.ASSIGNED:
            self._rerouted(
                order_id=self.order_id,
                machine=machine,
                assignment_no=self.assignment_no,
                rerouted_at=at,
            )
        else:
            self._interrupted(order_id=self.order_id, machine=machine, interrupted_at=at)

    def reprioritise(self, rush_credit_secs: float, boost: float, at: datetime) -> None:
        """Re-key an open task after its order was rushed or un-rushed (no-op if unchanged)."""
        if self.is_final:
            raise InvalidTransition(f"task {self.id} is already {self.status}")
        if rush_credit_secs == self.rush_credit_secs and boost == self.boost:
            return
        self._reprioritised(
            order_id=self.order_id,
            rush_credit_secs=rush_credit_secs,
            boost=boost,
            reprioritised_at=at,
        )

    def cancel(self, at: datetime) -> None:
        if self.is_final:
            raise InvalidTransition(f"task {self.id} is already {self.status}")
        self._cancelled(order_id=self.order_id, cancelled_at=at, previous_status=str(self.status))

    def recall(self, at: datetime, window_secs: float) -> None:
        """Undo a completion bumped by mistake, within ``window_secs`` of it. The task runs
        again on a fresh estimate from now: how much was left is unknown (and zero when its
        timer completed it, which would bump it again at once)."""
        self._check_redo("recalled")
        if self.status != TaskStatus.COMPLETED:
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only a COMPLETED task can be recalled",
                task_id=str(self.id),
                status=str(self.status),
            )
        assert self.completed_at is not None
        age = (at - self.completed_at).total_seconds()
        if age > window_secs:
            raise RecallWindowPassed(
                f"task {self.id} completed {age:.0f} s ago; recall is possible for "
                f"{window_secs:g} s",
                task_id=str(self.id),
                completed_secs_ago=round(age, 3),
                window_secs=window_secs,
            )
        self._recalled(
            order_id=self.order_id,
            start_no=self.start_no + 1,
            due_at=at + timedelta(seconds=self.estimate_secs),
            recalled_at=at,
        )

    def refire(self, at: datetime, reason: str = "") -> None:
        """Start the step over as a new attempt: it is ready at once (its dependencies were
        met before it started) and keeps its dispatch key. What the old attempt held is the
        caller's to release first (``held_stations`` still says what while it is STARTED)."""
        self._check_redo("re-fired")
        if self.status not in (TaskStatus.STARTED, TaskStatus.COMPLETED):
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only a STARTED or COMPLETED task can be "
                "re-fired",
                task_id=str(self.id),
                status=str(self.status),
            )
        self._refired(
            order_id=self.order_id,
            attempt=self.attempt + 1,
            previous_status=str(self.status),
            reason=reason,
            refired_at=at,
        )

    def waits_again_for(self, dependency_id: UUID) -> bool:
        """Whether a re-done ``dependency_id`` makes this task wait again: only a task that
        has not started does; one that started or finished goes on with what it has."""
        return dependency_id in self.deps_met and self.status in (
            TaskStatus.UNASSIGNED,
            TaskStatus.ASSIGNED,
        )

    def reopen_dependency(self, dependency_id: UUID, at: datetime) -> None:
        """Wait again for ``dependency_id`` (see ``waits_again_for``), giving back an
        assignment; the caller releases what it held first."""
        if not self.waits_again_for(dependency_id):
            raise InvalidTransition(
                f"task {self.id} is {self.status} and does not wait again for {dependency_id}",
                task_id=str(self.id),
            )
        self._dependency_reopened(
            order_id=self.order_id, dependency_id=dependency_id, reopened_at=at
        )

    def void(self, at: datetime, reason: str = "") -> None:
        """Flag a started (or finished) task whose line was voided; an unstarted one is
        cancelled instead."""
        if self.status not in (TaskStatus.STARTED, TaskStatus.COMPLETED):
            raise InvalidTransition(
                f"task {self.id} is {self.status}; only a started task is flagged voided "
                "(an unstarted one is cancelled)",
                task_id=str(self.id),
            )
        if not self.voided:
            self._voided(order_id=self.order_id, reason=reason, voided_at=at)

    def _check_redo(self, what: str) -> None:
        if self.voided:
            raise TaskVoided(
                f"task {self.id} belongs to a voided line and cannot be {what}",
                task_id=str(self.id),
            )

    # -- events (state changes only: these re-run on every replay) --------------------------

    @event(BecameReady)
    def _ready(self, order_id: UUID, ready_at: datetime) -> None:
        self.ready_at = ready_at

    @event(DependencyMet)
    def _dependency_met(self, order_id: UUID, dependency_id: UUID) -> None:
        self.pending_deps -= 1
        self.deps_met.append(dependency_id)

    @event(Assigned)
    def _assigned(
        self,
        order_id: UUID,
        staff_id: UUID,
        staff_name: str,
        machine: str | None,
        assignment_no: int,
        assigned_at: datetime,
    ) -> None:
        self.status = TaskStatus.ASSIGNED
        self.assigned_staff_id = staff_id
        self.assigned_staff = staff_name
        self.assigned_machine = machine
        self.assignment_no = assignment_no
        self.assigned_at = assigned_at
        self.requeue_boost = 0.0

    @event(Started)
    def _started(
        self,
        order_id: UUID,
        staff_id: UUID,
        started_at: datetime,
        due_at: datetime,
        start_no: int,
    ) -> None:
        self.status = TaskStatus.STARTED
        self.started_at = started_at
        self.due_at = due_at
        self.start_no = start_no

    @event(Completed)
    def _completed(self, order_id: UUID, completed_at: datetime, actual_secs: float) -> None:
        self.status = TaskStatus.COMPLETED
        self.completed_at = completed_at

    @event(Requeued)
    def _requeued(
        self, order_id: UUID, boost: float, assignment_no: int, requeued_at: datetime
    ) -> None:
        self.status = TaskStatus.UNASSIGNED
        self._unassign()
        self.requeue_boost = boost
        self.requeue_count += 1

    @event(HandedBack)
    def _handed_back(
        self,
        order_id: UUID,
        staff_id: UUID,
        reason: str,
        boost: float,
        assignment_no: int,
        handed_back_at: datetime,
    ) -> None:
        self.status = TaskStatus.UNASSIGNED
        self._unassign()
        self.requeue_boost = boost

    @event(Rerouted)
    def _rerouted(
        self, order_id: UUID, machine: str, assignment_no: int, rerouted_at: datetime
    ) -> None:
        self.status = TaskStatus.UNASSIGNED
        self.assigned_staff_id = None
        self.assigned_staff = None
        self.assigned_machine = None
        self.assigned_at = None

    @event(Interrupted)
    def _interrupted(self, order_id: UUID, machine: str, interrupted_at: datetime) -> None:
        self.interrupted_at = interrupted_at

    @event(Reprioritised)
    def _reprioritised(
        self, order_id: UUID, rush_credit_secs: float, boost: float, reprioritised_at: datetime
    ) -> None:
        self.rush_credit_secs = rush_credit_secs
        self.boost = boost

    @event(Held)
    def _held(self, order_id: UUID, course: int) -> None:
        self.held = True

    @event(Fired)
    def _fired(self, order_id: UUID, fired_at: datetime) -> None:
        self.held = False

    @event(Cancelled)
    def _cancelled(self, order_id: UUID, cancelled_at: datetime, previous_status: str) -> None:
        self.status = TaskStatus.CANCELLED
        self.cancelled_at = cancelled_at

    @event(Recalled)
    def _recalled(
        self, order_id: UUID, start_no: int, due_at: datetime, recalled_at: datetime
    ) -> None:
        self.status = TaskStatus.STARTED
        self.start_no = start_no
        self.due_at = due_at
        self.completed_at = None

    @event(Refired)
    def _refired(
        self,
        order_id: UUID,
        attempt: int,
        previous_status: str,
        reason: str,
        refired_at: datetime,
    ) -> None:
        self.status = TaskStatus.UNASSIGNED
        self.attempt = attempt
        self.ready_at = refired_at
        self._unassign()
        self.started_at = None
        self.completed_at = None
        self.due_at = None

    @event(DependencyReopened)
    def _dependency_reopened(
        self, order_id: UUID, dependency_id: UUID, reopened_at: datetime
    ) -> None:
        self.status = TaskStatus.UNASSIGNED
        self.pending_deps += 1
        self.deps_met.remove(dependency_id)
        self.ready_at = None
        self._unassign()

    @event(Voided)
    def _voided(self, order_id: UUID, reason: str, voided_at: datetime) -> None:
        self.voided = True

    def _unassign(self) -> None:
        self.assigned_staff_id = None
        self.assigned_staff = None
        self.assigned_machine = None
        self.assigned_at = None
        self.requeue_boost = 0.0

    def _state_word(self) -> str:
        if self.status == TaskStatus.UNASSIGNED and self.pending_deps:
            return f"waiting for {self.pending_deps} step(s)"
        return str(self.status)

    def held_stations(self) -> list[str]:
        """Names of the stations this task holds a slot on (empty unless active)."""
        if self.status not in ACTIVE:
            return []
        return [self.counter] + ([self.assigned_machine] if self.assigned_machine else [])
