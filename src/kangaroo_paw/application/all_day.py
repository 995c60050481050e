"""All-day counts: what each counter has waiting and in progress, by item and by step, the
numbers a line cook reads off the kitchen screen ("four burgers all day")."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.views import AllDayCounter, AllDayItem, AllDayStep
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.station import COUNTER
from kangaroo_paw.domain.task import Task, TaskStatus


@dataclass
class _Count:
    waiting: int = 0
    in_progress: int = 0
    description: str = ""

    def add(self, started: bool) -> None:
        if started:
            self.in_progress += 1
        else:
            self.waiting += 1


@dataclass
class _Tally:
    """One counter's open tasks, counted as they come (oldest first)."""

    tasks: _Count = field(default_factory=_Count)
    steps: dict[tuple[str, int], _Count] = field(default_factory=dict)
    # (order, item, unit) → whether one of the unit's steps at this counter is started
    units: dict[tuple[UUID, str, int], bool] = field(default_factory=dict)

    def add(self, task: Task) -> None:
        started = task.status == TaskStatus.STARTED
        self.tasks.add(started)
        step = self.steps.setdefault((task.item_key, task.step_no), _Count())
        step.add(started)
        step.description = task.description  # the newest revision's words
        unit = (task.order_id, task.item_key, task.unit)
        self.units[unit] = self.units.get(unit, False) or started

    def view(self, counter: str) -> AllDayCounter:
        items: dict[str, _Count] = {}
        for (_, item_key, _), started in self.units.items():
            items.setdefault(item_key, _Count()).add(started)
        return AllDayCounter(
            counter=counter,
            waiting=self.tasks.waiting,
            in_progress=self.tasks.in_progress,
            items=[
                AllDayItem(item_key=key, waiting=c.waiting, in_progress=c.in_progress)
                for key, c in sorted(items.items())
            ],
            steps=[
                AllDayStep(
                    item_key=key,
                    step_no=step_no,
                    description=c.description,
                    waiting=c.waiting,
                    in_progress=c.in_progress,
                )
                for (key, step_no), c in sorted(self.steps.items())
            ],
        )


class AllDayQueries(KitchenCore):
    """All-day counts per counter."""

    def all_day(self, counter: str | None = None) -> list[AllDayCounter]:
        """Every counter (or just ``counter``; ``NotFound`` if there is no such counter) by
        name, with its open tasks: waiting (unassigned or assigned, not started yet) and in
        progress (started), in all, by recipe step and by item (units with a step there).

        The read model lists the open tasks (one query); each is then read from the store,
        so a call costs O(open tasks), not O(history)."""
        names = sorted(n for n, s in self.stations().items() if s.kind == COUNTER)
        if counter is not None:
            if counter not in names:
                raise NotFound(f"counter {counter!r} not found", name=counter)
            names = [counter]
        tallies = {name: _Tally() for name in names}
        self.sync_reads()
        for row in self.read_model.open_tasks(counter):
            task = self._open_task(row.task_id)
            if task is not None and task.counter in tallies:
                tallies[task.counter].add(task)
        return [tallies[name].view(name) for name in names]

    def _open_task(self, task_id: UUID) -> Task | None:
        """The task, unless it is gone or finished since the read model saw it."""
        try:
            task = self.task(task_id)
        except NotFound:
            return None
        return None if task.is_final else task
