"""Task execution: allocation passes, start, complete, requeue of stale assignments."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore, Touched, conflict_attempt, retried
from kangaroo_paw.application.telemetry import reports_pass
from kangaroo_paw.application.views import (
    AllocationResult,
    AssignmentView,
    QueuedTask,
    TaskView,
)
from kangaroo_paw.domain.allocation import (
    Candidate,
    CookState,
    GroupKey,
    PassPlan,
    Pools,
    placeable,
    plan_pass,
    pools_of,
)
from kangaroo_paw.domain.errors import InvalidResource, NotFound
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.scoring import Weights, aged_priority
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task, TaskStatus
from kangaroo_paw.ports.queue import ReadyQueue

log = logging.getLogger(__name__)

# Extra queue entries fetched per group beyond what could be placed, to step over entries the
# projection has not yet removed (a task assigned a moment ago).
STALE_MARGIN = 8


class Planner(Protocol):
    """Chooses one pass's assignments from the ready queue and the free capacity; the default
    (``plan_pass`` over per-group heads) is ours, the simulator plugs in others to compare."""

    def __call__(
        self,
        queue: ReadyQueue,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        weights: Weights,
        is_ready: Callable[[UUID], bool],
        pools: Pools,
    ) -> PassPlan: ...


class TaskCommands(KitchenCore):
    """Allocate, start, complete and requeue tasks."""

    # -- allocation --------------------------------------------------------------------------

    @reports_pass
    @retried
    def allocate(self, planner: Planner | None = None) -> AllocationResult:
        """Run one allocation pass over the ready queue (retried on fresh state on conflict);
        ``planner`` replaces our pass planner (policy comparisons in the simulator)."""
        self.sync_reads()  # re-run on a retry too: the queue may have moved on
        now = self.clock.now()
        stations = self.stations()
        staff = {s.id: s for s in self.all_staff()}
        free = {name: s.free for name, s in stations.items()}
        pools = pools_of(
            {
                n: (s.counter, s.machine_kind)
                for n, s in stations.items()
                if s.counter and s.machine_kind
            }
        )
        cooks = [
            CookState(
                staff_id=s.id,
                name=s.name,
                skills=frozenset(s.skills),
                active=len(s.active_tasks),
                max_parallel=s.max_parallel,
                utilization=s.utilization_at(now),
                efficiency=s.efficiency,
                available=not s.on_break and s.shift.on_shift(now),
            )
            for s in staff.values()
        ]
        loaded: dict[UUID, Task] = {}
        saw_all = False  # another planner's reach is its own: passes repeat (allocate_now)
        if planner is None:
            plan, saw_all = self._plan_by_groups(free, cooks, loaded, pools)
        else:
            plan = planner(
                self.queue,
                free,
                cooks,
                self.policy.weights,
                lambda t: self._ready(t, loaded),
                pools,
            )
        if not plan.assignments:
            return AllocationResult([], plan.blocked, conflict_attempt(), saw_all)
        touched: Touched = {}
        for a in plan.assignments:
            task = loaded.get(a.task_id) or self.task(a.task_id)
            task.assign(a.staff_id, a.staff_name, now, a.machine)
            if task.machine_kind is not None:
                _check_pool_machine(task, stations.get(a.machine or ""))
            touched[task.id] = task
            for name in task.held_stations():
                station = touched.get(stations[name].id, stations[name])
                station.reserve(task.id)
                touched[station.id] = station
            cook = touched.get(a.staff_id, staff[a.staff_id])
            cook.take(task.id, a.counter, now)
            touched[cook.id] = cook
            order = touched.get(task.order_id) or self.order(task.order_id)
            order.task_assigned(now)
            touched[order.id] = order
        self.save(*touched.values())
        assigned = [
            AssignmentView(a.task_id, a.staff_id, a.staff_name, a.counter, a.machine)
            for a in plan.assignments
        ]
        return AllocationResult(assigned, plan.blocked, conflict_attempt(), saw_all)

    def _plan_by_groups(
        self,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        loaded: dict[UUID, Task],
        pools: Pools,
    ) -> tuple[PassPlan, bool]:
        """Our pass: the head of every (counter, machine, kind) group, planned by
        ``plan_pass``; and whether it saw every entry of the groups it could place in (when
        stale entries filled a group's fetch, a task behind them waits for another pass)."""
        sizes = self.queue.groups()
        groups: dict[GroupKey, list[Candidate]] = {}
        saw_all = True
        for gkey in sizes:
            counter, machine, kind = gkey
            bound = placeable(gkey, free, cooks, pools)
            candidates = []
            # Nothing placeable: one entry is enough for plan_pass to classify the group.
            limit = bound + STALE_MARGIN if bound > 0 else 1
            entries = self.queue.head(gkey, limit)
            if bound > 0 and len(entries) >= limit:
                saw_all = False
            for entry in entries:
                task = self._task_or_none(entry.task_id)
                if task is None or not task.is_ready:
                    continue  # the projection lags a committed assignment or cancel
                loaded[task.id] = task
                candidates.append(Candidate(task.id, counter, machine, entry.key, kind))
            groups[gkey] = candidates
        return plan_pass(groups, free, cooks, self.policy.weights, sizes, pools=pools), saw_all

    def _ready(self, task_id: UUID, loaded: dict[UUID, Task]) -> bool:
        """Whether a queued task is really ready (the projection may lag); keeps it loaded."""
        task = loaded.get(task_id) or self._task_or_none(task_id)
        if task is None or not task.is_ready:
            return False
        loaded[task_id] = task
        return True

    def allocate_now(self) -> int:
        """Run passes until one assigns nothing, or one saw every task it could place
        (bounded); the scheduler's callback. A pass frees no capacity, so after one that saw
        everything a second would only pay its reads (a third of a pass's latency) to place
        nothing; work that arrives meanwhile asks for a pass of its own."""
        total = 0
        for _ in range(50):
            result = self.allocate()
            total += len(result.assigned)
            if not result.assigned or result.saw_all:
                break
        return total

    def _task_or_none(self, task_id: UUID) -> Task | None:
        try:
            return self.task(task_id)
        except NotFound:
            return None

    # -- execution ---------------------------------------------------------------------------

    @retried
    def start_task(self, task_id: UUID, staff_id: UUID | None = None) -> TaskView:
        task = self.task(task_id)
        task.start(self.clock.now(), staff_id)
        self.save(task)
        return TaskView.of(task)

    @retried
    def complete_task(self, task_id: UUID) -> TaskView:
        """Complete a started task: free its resources, credit the cook, unlock dependents
        and advance the order, all in one save."""
        task = self.task(task_id)
        self._complete(task, self.clock.now())
        return TaskView.of(task)

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        """Timer callback: complete a task still STARTED under ``start_no``; anything else is
        settled already, or started anew (a re-fire, a recall) with a timer of its own."""
        return self.auto_complete_many([(task_id, start_no)])[0]

    @retried
    def auto_complete_many(self, timers: Sequence[tuple[UUID, int]]) -> list[bool]:
        """Timer callback for several due completions at once, ``(task id, start_no)``
        each: every one as ``auto_complete`` settles it, all in one save (a timer shard fires
        its due timers together, and one save costs the shared reads and the commit once).
        A task refused by a rule fails the whole call and saves nothing: the caller then
        completes them one by one."""
        now = self.clock.now()
        stations: dict[str, Station] | None = None  # read once, and only if one is due
        touched: Touched = {}
        done: list[bool] = []
        late: list[float] = []
        for task_id, start_no in timers:
            held = touched.get(task_id)
            task = held if isinstance(held, Task) else self._task_or_none(task_id)
            if task is None or task.status != TaskStatus.STARTED or task.start_no != start_no:
                done.append(False)
                continue
            due = task.due_at  # what the timer was set to (a recall sets a fresh one)
            assert due is not None  # it is STARTED
            if stations is None:
                stations = self.stations()
            self._complete_into(task, now, stations, touched)
            done.append(True)
            late.append((now - due).total_seconds())
        if touched:
            self.save(*touched.values())
        for secs in late:
            self.metrics.timer_fired("complete", secs)
        return done

    def _complete(self, task: Task, now: datetime) -> None:
        touched: Touched = {}
        self._complete_into(task, now, self.stations(), touched)
        self.save(*touched.values())

    def _complete_into(
        self, task: Task, now: datetime, stations: Mapping[str, Station], touched: Touched
    ) -> None:
        """Complete ``task`` into ``touched`` (saved by the caller): free its resources,
        credit the cook, unlock dependents, advance the order; aggregates this command
        already changed are taken from ``touched``."""
        touched[task.id] = task
        # Released before complete(): while STARTED, the status says which slots it holds. A
        # task that is not STARTED is refused by complete() and nothing is saved.
        cook = self.release(task, stations, touched)
        task.complete(now)
        if cook is not None:
            assert task.started_at is not None
            actual = (now - task.started_at).total_seconds()
            cook.finish(
                task.id,
                task.estimate_secs,
                actual,
                now,
                self.policy.efficiency_min,
                self.policy.efficiency_max,
            )
        held = touched.get(task.order_id)
        order = held if isinstance(held, Order) else self.load(Order, task.order_id)
        order.task_completed(task.id, now)
        touched[order.id] = order
        for child_id in task.dependents:
            known = touched.get(child_id)
            child = known if isinstance(known, Task) else self.task(child_id)
            child.dependency_met(task.id, now)
            touched[child.id] = child

    @retried
    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        """Timer callback: send a task back to the queue, boosted, if it is still ASSIGNED
        under ``assignment_no`` (not started within the TTL)."""
        task = self._task_or_none(task_id)
        if task is None or task.status != TaskStatus.ASSIGNED:
            return False
        if task.assignment_no != assignment_no:
            return False
        now = self.clock.now()
        touched: Touched = {}
        cook = self.release(task, self.stations(), touched)
        if cook is not None:
            cook.drop(task.id)
        task.requeue(self.policy.requeue_boost, now, assignment_no)
        touched[task.id] = task
        self.save(*touched.values())
        return True

    # -- queries -----------------------------------------------------------------------------

    def get_task(self, task_id: UUID) -> TaskView:
        return TaskView.of(self.task(task_id))

    def list_tasks(
        self,
        status: str | None = None,
        counter: str | None = None,
        staff_id: UUID | None = None,
        limit: int = 200,
    ) -> list[TaskView]:
        self.sync_reads()
        rows = self.read_model.list_tasks(status, counter, staff_id, limit)
        return [TaskView.of(self.task(r.task_id)) for r in rows]

    def queue_view(self, limit: int = 50) -> list[QueuedTask]:
        """Ready tasks in pick order with their dispatch age (order age plus rush credit)."""
        self.sync_reads()
        now = self.clock.now()
        result = []
        for entry in self.queue.top(limit):
            task = self._task_or_none(entry.task_id)
            if task is None or not task.is_ready or task.ready_at is None:
                continue
            waited = (now - task.ready_at).total_seconds()
            result.append(
                QueuedTask(
                    TaskView.of(task),
                    aged_priority(task.priority, waited, self.policy.aging_factor),
                    # The order's age plus its rush credit (not the key's critical-path
                    # tie-in, which would make a just-confirmed order's age negative).
                    (now - task.created_at).total_seconds() + task.rush_credit_secs,
                )
            )
        return result

    def station_holders(self) -> dict[str, list[UUID]]:
        """Who holds what (for invariant checks and the kitchen screen)."""
        holders: dict[str, list[UUID]] = defaultdict(list)
        for name, station in self.stations().items():
            holders[name].extend(station.holders)
        return dict(holders)


def _check_pool_machine(task: Task, machine: Station | None) -> None:
    """A planner (ours, or a simulator policy) must put a pool task on a machine of its pool;
    the station then refuses it if down or full, so capacity holds whatever the planner."""
    assert task.machine_kind is not None
    if machine is None or not machine.serves(task.counter, task.machine_kind):
        name = machine.name if machine is not None else None
        raise InvalidResource(
            f"task {task.id} needs a {task.machine_kind} machine at {task.counter}, not {name}",
            task_id=str(task.id),
        )
