"""Promised ready time: the live kitchen, with a would-be order in it, simulated forward."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from kangaroo_paw.application.core import STAFF, STATIONS, KitchenCore
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.directory import Directory
from kangaroo_paw.domain.forecast import (
    Cook,
    Forecast,
    ForecastParams,
    KitchenSnapshot,
    OpenTask,
    Phase,
    StationSlots,
    forecast,
)
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task, TaskStatus

A = TypeVar("A")
DAY_SECS = 86_400.0
PAGE = 1000
RESEED_AFTER = 20 * PAGE  # notifications behind: reading afresh is cheaper than following
# Every Task event (explicit topics are stored as written): a task with any of them since the
# followed position is read again.
TASK_TOPICS = tuple(
    sorted(
        topic
        for cls in vars(Task).values()
        if isinstance(cls, type)
        and issubclass(cls, Task.Event)
        and (topic := getattr(cls, "TOPIC", None))
    )
)


@dataclass(frozen=True, slots=True)
class _Open:
    """An open task; ``since`` is when it was assigned (ASSIGNED) or started (STARTED)."""

    task: OpenTask
    since: datetime | None


@dataclass
class _OpenWork:
    """The open tasks as of log ``position``: read in full once, then only what changed."""

    position: int | None = None
    tasks: dict[UUID, _Open] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PromiseQueries(KitchenCore):
    """Predict when new work would be done, given everything open in the kitchen now."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._open_work = _OpenWork()

    def forecast_ready_secs(self, new_tasks: Sequence[Task], now: datetime) -> float:
        """Predicted seconds from ``now`` until the last of ``new_tasks`` (unsaved tasks of a
        would-be order) completes, by simulating the kitchen forward (``domain.forecast``).

        When some step of the new order can never be served (no eligible cook, its machine
        down, its only cook on a break of unknown end), or the work does not finish within
        the forecast horizon, the answer is the horizon itself (4 h): a bound, not a promise.
        """
        return self.forecast_new(new_tasks, now).ready_secs

    def forecast_new(self, new_tasks: Sequence[Task], now: datetime) -> Forecast:
        """The forecast behind ``forecast_ready_secs``, with whether it finished in time."""
        snapshot = self.kitchen_snapshot(new_tasks, now)
        return forecast(snapshot, {t.id for t in new_tasks}, self.forecast_params())

    def reload_open_work(self) -> None:
        """Forget the followed open work: the next forecast reads it afresh (as after a start;
        the benchmark measures that cold cost with it)."""
        with self._open_work.lock:
            self._open_work.position = None
            self._open_work.tasks.clear()

    def forecast_params(self) -> ForecastParams:
        """The forecast's assumptions, from the policy the kitchen runs under."""
        policy = self.policy
        return ForecastParams(
            reaction_secs=policy.promise_reaction_secs,
            assignment_ttl_secs=policy.assignment_ttl_secs,
            weights=policy.weights,
            efficiency_min=policy.efficiency_min,
            efficiency_max=policy.efficiency_max,
        )

    def kitchen_snapshot(self, new_tasks: Sequence[Task], now: datetime) -> KitchenSnapshot:
        """Open tasks, cooks and stations as the forecast needs them, plus ``new_tasks``."""
        stations = self._peek_all(Station, self._members(STATIONS))
        cooks = self._peek_all(Staff, self._members(STAFF))
        new_ids = {t.id for t in new_tasks}
        tasks = [_at(o, now) for o in self._open_tasks() if o.task.task_id not in new_ids]
        tasks += [open_task(t, now) for t in new_tasks]
        return KitchenSnapshot(
            tasks=tasks,
            cooks=[forecast_cook(c, now, self.policy.promise_break_secs) for c in cooks],
            stations=[forecast_station(s, now, self.policy.promise_repair_secs) for s in stations],
        )

    # -- the open tasks, followed along the notification log --------------------------------

    def _open_tasks(self) -> list[_Open]:
        """Every open task, exact as of the newest notification.

        The first call finds them without scanning history: the active ones hold their
        counter, the ready ones are in the ready queue, and a waiting task is a dependent (at
        some depth) of a ready or an active one. It starts following the log at the queue's
        position, so a task the queue had not caught up with is still seen. Later calls only
        reload the tasks that have events since (and new ones), so a quote costs the changes
        since the last quote, not the open work; after a long silence it reads afresh.
        """
        work = self._open_work
        with work.lock:
            if work.position is not None:
                behind = (self.recorder.max_notification_id() or 0) - work.position
                if behind > RESEED_AFTER:
                    work.position = None
            if work.position is None:
                self._seed(work)
            self._reload(work, self._changed_since(work))
            return list(work.tasks.values())

    def _seed(self, work: _OpenWork) -> None:
        position = self.queue.position()  # first: the queue reflects at least this much
        stations = self._peek_all(Station, self._members(STATIONS))
        seeds = [task_id for station in stations for task_id in station.holders]
        seeds += [entry.task_id for entry in self.queue.top(self.queue.size())]
        work.tasks.clear()
        self._reload(work, seeds)
        work.position = position

    def _changed_since(self, work: _OpenWork) -> set[UUID]:
        """Tasks with events after the followed position (new ones, and after a start also
        those that became ready after the queue's position); moves the position on."""
        changed: set[UUID] = set()
        while True:
            assert work.position is not None
            page = self.recorder.select_notifications(
                start=work.position + 1, limit=PAGE, topics=TASK_TOPICS
            )
            for n in page:
                raw = n.originator_id
                changed.add(raw if isinstance(raw, UUID) else UUID(raw))
            if page:
                work.position = page[-1].id
            if len(page) < PAGE:
                return changed

    def _reload(self, work: _OpenWork, task_ids: Iterable[UUID]) -> None:
        frontier = list(task_ids)
        seen: set[UUID] = set()
        while frontier:
            task_id = frontier.pop()
            if task_id in seen:
                continue
            seen.add(task_id)
            task = self._peek(Task, task_id)
            if task is None or task.is_final:
                work.tasks.pop(task_id, None)
                continue
            if task_id not in work.tasks:  # its waiting dependents may be unknown yet
                frontier.extend(d for d in task.dependents if d not in work.tasks)
            work.tasks[task_id] = _Open(open_task(task), _since(task))

    def _members(self, kind: str) -> list[UUID]:
        directory = self._peek(Directory, ids.directory_id(kind))
        return [] if directory is None else list(directory.members.values())

    def _peek_all(self, kind: type[A], aggregate_ids: Iterable[UUID]) -> list[A]:
        return [a for a in (self._peek(kind, i) for i in aggregate_ids) if a is not None]

    def _peek(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """The current aggregate, uncopied: callers only read it."""
        try:
            aggregate: object = self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None


def open_task(task: Task, now: datetime | None = None) -> OpenTask:
    """A task as the forecast sees it; ``since_secs`` is counted up to ``now`` if given."""
    if task.status == TaskStatus.STARTED:
        phase = Phase.STARTED
    elif task.status == TaskStatus.ASSIGNED:
        phase = Phase.ASSIGNED
    else:
        phase = Phase.READY if task.is_ready else Phase.WAITING
    since = _since(task)
    return OpenTask(
        task_id=task.id,
        key=task.dispatch_key,
        counter=task.counter,
        machine=task.assigned_machine if phase in _HOLDING else task.machine,
        estimate_secs=task.estimate_secs,
        phase=phase,
        depends_on=tuple(task.depends_on),
        dependents=tuple(task.dependents),
        staff_id=task.assigned_staff_id,
        since_secs=0.0 if since is None or now is None else _secs(since, now),
        machine_kind=task.machine_kind,
    )


_HOLDING = (Phase.ASSIGNED, Phase.STARTED)


def _since(task: Task) -> datetime | None:
    if task.status == TaskStatus.STARTED:
        return task.started_at
    if task.status == TaskStatus.ASSIGNED:
        return task.assigned_at
    return None


def _at(entry: _Open, now: datetime) -> OpenTask:
    if entry.since is None:
        return entry.task
    return replace(entry.task, since_secs=_secs(entry.since, now))


def _secs(since: datetime, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


def forecast_station(station: Station, now: datetime, repair_secs: float) -> StationSlots:
    """A station; a down one is expected back ``repair_secs`` after it went down (at once
    if that is past: it is overdue, and the best guess is that it is about to return)."""
    back = math.inf
    if not station.up:
        since = station.down_since
        elapsed = 0.0 if since is None else _secs(since, now)
        back = max(0.0, repair_secs - elapsed)
    return StationSlots(
        station.name, station.capacity, station.up, back, station.counter, station.machine_kind
    )


def forecast_cook(staff: Staff, now: datetime, break_secs: float = math.inf) -> Cook:
    """A cook with the window in which they take new work, relative to ``now``; a cook on
    break is expected back ``break_secs`` after the break started (at once if overdue)."""
    window = shift_window(staff.shift, now)
    begin, end = window if window is not None else (math.inf, math.inf)
    on_shift = begin <= 0.0
    worked = staff.utilization_at(now) * max(1.0, -begin) if on_shift else 0.0
    return Cook(
        staff_id=staff.id,
        name=staff.name,
        skills=frozenset(staff.skills),
        max_parallel=staff.max_parallel,
        efficiency=staff.efficiency,
        active_secs=worked,
        shift_elapsed_secs=-begin,
        available_from=_back_from_break(staff, now, break_secs, begin),
        available_until=end,
        on_break=staff.on_break,
    )


def _back_from_break(staff: Staff, now: datetime, break_secs: float, begin: float) -> float:
    if not staff.on_break:
        return max(0.0, begin)
    since = staff.break_started_at
    elapsed = 0.0 if since is None else _secs(since, now)
    return max(0.0, begin, break_secs - elapsed)


def shift_window(shift: Shift, now: datetime) -> tuple[float, float] | None:
    """The current (or else the next) shift window in seconds from ``now``; a daily shift of
    24 hours never ends. ``None`` when no window is current or to come."""
    current = shift.window_at(now)
    if current is not None:
        begin, end = ((t - now).total_seconds() for t in current)
        whole_day = shift.is_daily and end - begin >= DAY_SECS
        return begin, math.inf if whole_day else end
    if shift.is_daily:
        start = datetime.combine(now.date(), time.fromisoformat(shift.start), tzinfo=UTC)
        if start <= now:
            start += timedelta(days=1)
        window = shift.window_at(start)
        assert window is not None
        return (start - now).total_seconds(), (window[1] - now).total_seconds()
    start, finish = datetime.fromisoformat(shift.start), datetime.fromisoformat(shift.end)
    if start <= now:
        return None
    return (start - now).total_seconds(), (finish - now).total_seconds()
