"""Cooks: hire, change, breaks, read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from kangaroo_paw.application.core import STAFF, KitchenCore, Touched, retried
from kangaroo_paw.application.views import StaffView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import Conflict, InvalidResource
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff, check_profile
from kangaroo_paw.domain.station import COUNTER
from kangaroo_paw.domain.task import HandBackReason, TaskStatus


class StaffCommands(KitchenCore):
    """Hire cooks, change their skills, limits and shifts, send them on and off break."""

    @retried
    def hire_staff(
        self,
        name: str,
        skills: Sequence[str],
        max_parallel: int = 2,
        efficiency_multiplier: float = 1.0,
        shift_start: str = "00:00",
        shift_end: str = "00:00",
    ) -> StaffView:
        skills = list(dict.fromkeys(skills))
        check_profile(name, skills, max_parallel, efficiency_multiplier)
        shift = Shift.parse(shift_start, shift_end)
        self._check_skills(skills)
        directory = self.directory(STAFF)
        key = name.strip().casefold()
        if key in directory.members:
            raise Conflict(f"a cook named {name!r} already exists", name=name)
        staff = Staff(
            id=ids.staff_id(name),
            name=name.strip(),
            skills=skills,
            max_parallel=max_parallel,
            efficiency=efficiency_multiplier,
            shift_start=shift.start,
            shift_end=shift.end,
        )
        directory.add(key, staff.id)
        self.save(directory, staff)
        return StaffView.of(staff, self.clock.now())

    @retried
    def update_staff(
        self,
        staff_id: UUID,
        *,
        skills: Sequence[str] | None = None,
        max_parallel: int | None = None,
        efficiency_multiplier: float | None = None,
        shift_start: str | None = None,
        shift_end: str | None = None,
    ) -> StaffView:
        """Change what is given. A shift changed so that the cook is now off shift hands back
        their unstarted tasks, as a break does (``_hand_back``)."""
        staff = self.load(Staff, staff_id, "cook")
        old_shift = staff.shift
        new_skills = list(dict.fromkeys(skills)) if skills is not None else staff.skills
        self._check_skills(new_skills)
        shift = Shift.parse(
            shift_start if shift_start is not None else staff.shift_start,
            shift_end if shift_end is not None else staff.shift_end,
        )
        staff.update(
            skills=new_skills,
            max_parallel=max_parallel if max_parallel is not None else staff.max_parallel,
            efficiency=(
                efficiency_multiplier if efficiency_multiplier is not None else staff.efficiency
            ),
            shift=shift,
        )
        now = self.clock.now()
        touched: Touched = {staff.id: staff}
        if shift != old_shift and not shift.on_shift(now):
            self._hand_back(staff, HandBackReason.OFF_SHIFT, now, touched)
        self.save(*touched.values())
        return StaffView.of(staff, now)

    @retried
    def set_break(self, staff_id: UUID, on_break: bool) -> StaffView:
        """Start or end a cook's break. Going on break hands back their unstarted tasks in
        the same save (``_hand_back``)."""
        staff = self.load(Staff, staff_id, "cook")
        now = self.clock.now()
        touched: Touched = {staff.id: staff}
        if on_break:
            staff.start_break(now)
            self._hand_back(staff, HandBackReason.BREAK, now, touched)
        else:
            staff.end_break(now)
        self.save(*touched.values())
        return StaffView.of(staff, now)

    def _hand_back(
        self, staff: Staff, reason: HandBackReason, now: datetime, touched: Touched
    ) -> None:
        """Every task ASSIGNED to ``staff`` and not started goes back to the queue at its place
        (``TASK_HANDED_BACK``, which triggers a pass like a requeue), its counter and machine
        slots and the cook's released, instead of holding them until the stale-assignment
        timeout. STARTED tasks stay: the cook finishes what is on the stove. A start that
        races this is settled by the save: the task's version moved, so one command retries
        on fresh state and sees the other's outcome."""
        stations = self.stations()
        for task_id in list(staff.active_tasks):
            task = self.task(task_id)
            if task.status != TaskStatus.ASSIGNED:
                continue
            self.release(task, stations, touched)  # the cook is ``staff``, already in touched
            staff.drop(task.id)
            task.hand_back(staff.id, reason, self.policy.requeue_boost, now)
            touched[task.id] = task

    def get_staff(self, staff_id: UUID) -> StaffView:
        return StaffView.of(self.load(Staff, staff_id, "cook"), self.clock.now())

    def list_staff(self) -> list[StaffView]:
        now = self.clock.now()
        return sorted((StaffView.of(s, now) for s in self.all_staff()), key=lambda v: v.name)

    def _check_skills(self, skills: Sequence[str]) -> None:
        counters = {n for n, s in self.stations().items() if s.kind == COUNTER}
        unknown = [s for s in skills if s not in counters]
        if unknown:
            raise InvalidResource(
                f"unknown counter(s) in skills: {', '.join(unknown)}", unknown=unknown
            )
