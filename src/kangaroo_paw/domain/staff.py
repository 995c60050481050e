"""The Staff aggregate: a cook with skills, a shift, breaks and a parallel limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import CapacityExceeded, InvalidResource, InvalidTransition
from kangaroo_paw.domain.scoring import updated_efficiency, utilization
from kangaroo_paw.domain.shifts import Shift

MAX_PARALLEL = 20


def check_profile(name: str, skills: list[str], max_parallel: int, efficiency: float) -> None:
    """Validate what an operator can set on a cook."""
    if not name.strip() or len(name) > 100:
        raise InvalidResource("a cook needs a name of 1 to 100 characters")
    if not skills:
        raise InvalidResource(f"cook {name!r} needs at least one skill (a counter name)")
    if not 1 <= max_parallel <= MAX_PARALLEL:
        raise InvalidResource(f"max_parallel must be from 1 to {MAX_PARALLEL}")
    if not 0.1 <= efficiency <= 10:
        raise InvalidResource("efficiency_multiplier must be from 0.1 to 10")


class Staff(Aggregate):
    """A cook. Invariant: active tasks <= max_parallel; no new work off shift or on break."""

    TOPIC = "kangaroo_paw.staff.v1"
    class_version = 2  # snapshots: break_started_at added

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["break_started_at"] = None

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.staff.hired.v1"
        WIRE: ClassVar[str] = "STAFF_HIRED"
        name: str
        skills: list[str]
        max_parallel: int
        efficiency: float
        shift_start: str
        shift_end: str

    class Updated(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.updated.v1"
        WIRE: ClassVar[str] = "STAFF_UPDATED"
        skills: list[str]
        max_parallel: int
        efficiency: float
        shift_start: str
        shift_end: str

    class BreakStarted(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.break_started.v1"
        WIRE: ClassVar[str] = "STAFF_BREAK_STARTED"
        at: datetime

    class BreakEnded(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.break_ended.v1"
        WIRE: ClassVar[str] = "STAFF_BREAK_ENDED"
        at: datetime

    class TaskTaken(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.task_taken.v1"
        WIRE: ClassVar[str] = "STAFF_TASK_TAKEN"
        task_id: UUID

    class TaskFinished(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.task_finished.v1"
        WIRE: ClassVar[str] = "STAFF_TASK_FINISHED"
        task_id: UUID
        actual_secs: float
        efficiency: float
        shift_anchor: datetime | None

    class TaskDropped(Aggregate.Event):
        TOPIC = "kangaroo_paw.staff.task_dropped.v1"
        WIRE: ClassVar[str] = "STAFF_TASK_DROPPED"
        task_id: UUID

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        name: str,
        skills: list[str],
        max_parallel: int,
        efficiency: float,
        shift_start: str,
        shift_end: str,
    ) -> None:
        self.name = name
        self.skills = list(skills)
        self.max_parallel = max_parallel
        self.efficiency = efficiency
        self.shift_start = shift_start
        self.shift_end = shift_end
        self.on_break = False
        self.break_started_at: datetime | None = None
        self.active_tasks: list[UUID] = []
        self.active_secs = 0.0
        self.shift_anchor: datetime | None = None

    @property
    def shift(self) -> Shift:
        return Shift(self.shift_start, self.shift_end)

    def is_available(self, counter: str, now: datetime) -> bool:
        """Eligible for a new task on ``counter`` at ``now``."""
        return (
            counter in self.skills
            and not self.on_break
            and len(self.active_tasks) < self.max_parallel
            and self.shift.on_shift(now)
        )

    def utilization_at(self, now: datetime) -> float:
        window = self.shift.window_at(now)
        if window is None:
            return 0.0
        secs = self.active_secs if self.shift_anchor == window[0] else 0.0
        return utilization(secs, (now - window[0]).total_seconds())

    def update(
        self,
        *,
        skills: list[str],
        max_parallel: int,
        efficiency: float,
        shift: Shift,
    ) -> None:
        check_profile(self.name, skills, max_parallel, efficiency)
        if max_parallel < len(self.active_tasks):
            raise CapacityExceeded(
                f"{self.name} has {len(self.active_tasks)} active task(s); max_parallel cannot "
                f"drop to {max_parallel} until they finish"
            )
        self._updated(
            skills=list(skills),
            max_parallel=max_parallel,
            efficiency=efficiency,
            shift_start=shift.start,
            shift_end=shift.end,
        )

    def start_break(self, at: datetime) -> None:
        if self.on_break:
            raise InvalidTransition(f"{self.name} is already on break")
        self._break_started(at=at)

    def end_break(self, at: datetime) -> None:
        if not self.on_break:
            raise InvalidTransition(f"{self.name} is not on break")
        self._break_ended(at=at)

    def take(self, task_id: UUID, counter: str, now: datetime) -> None:
        if counter not in self.skills:
            raise InvalidResource(f"{self.name} has no {counter} skill")
        if self.on_break:
            raise InvalidTransition(f"{self.name} is on break")
        if not self.shift.on_shift(now):
            raise InvalidTransition(f"{self.name} is off shift")
        if len(self.active_tasks) >= self.max_parallel:
            raise CapacityExceeded(f"{self.name} is at max_parallel={self.max_parallel}")
        self._task_taken(task_id=task_id)

    def finish(
        self,
        task_id: UUID,
        estimate_secs: float,
        actual_secs: float,
        now: datetime,
        low: float = 0.25,
        high: float = 4.0,
    ) -> None:
        """Record the finished task, its actual duration (always: it counts toward the
        shift's utilization) and the efficiency learned from it, which ``updated_efficiency``
        bounds per task and does not move for an implausibly fast completion."""
        if task_id not in self.active_tasks:
            raise InvalidTransition(f"{self.name} does not hold task {task_id}")
        window = self.shift.window_at(now)
        anchor = window[0] if window else self.shift_anchor
        self._task_finished(
            task_id=task_id,
            actual_secs=actual_secs,
            efficiency=updated_efficiency(self.efficiency, estimate_secs, actual_secs, low, high),
            shift_anchor=anchor,
        )

    def drop(self, task_id: UUID) -> None:
        """Give back a task without finishing it (requeue, cancel)."""
        if task_id in self.active_tasks:
            self._task_dropped(task_id=task_id)

    @event(Updated)
    def _updated(
        self,
        skills: list[str],
        max_parallel: int,
        efficiency: float,
        shift_start: str,
        shift_end: str,
    ) -> None:
        self.skills = list(skills)
        self.max_parallel = max_parallel
        self.efficiency = efficiency
        self.shift_start = shift_start
        self.shift_end = shift_end

    @event(BreakStarted)
    def _break_started(self, at: datetime) -> None:
        self.on_break = True
        self.break_started_at = at

    @event(BreakEnded)
    def _break_ended(self, at: datetime) -> None:
        self.on_break = False
        self.break_started_at = None

    @event(TaskTaken)
    def _task_taken(self, task_id: UUID) -> None:
        self.active_tasks.append(task_id)

    @event(TaskFinished)
    def _task_finished(
        self, task_id: UUID, actual_secs: float, efficiency: float, shift_anchor: datetime | None
    ) -> None:
        self.active_tasks.remove(task_id)
        if shift_anchor != self.shift_anchor:
            self.active_secs = 0.0
            self.shift_anchor = shift_anchor
        self.active_secs += actual_secs
        self.efficiency = efficiency

    @event(TaskDropped)
    def _task_dropped(self, task_id: UUID) -> None:
        self.active_tasks.remove(task_id)

    def profile(self) -> dict[str, Any]:
        return {
            "staff_id": self.id,
            "name": self.name,
            "skills": list(self.skills),
            "max_parallel": self.max_parallel,
            "efficiency_multiplier": self.efficiency,
            "shift_start": self.shift_start,
            "shift_end": self.shift_end,
            "on_break": self.on_break,
            "active_tasks": list(self.active_tasks),
            "active_secs": self.active_secs,
        }
