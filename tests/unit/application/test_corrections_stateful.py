"""Recall, re-fire and void as a state machine: random sequences of start, complete, recall,
re-fire, void, allocation passes and timers firing on the embedded kitchen (POPO store, manual
clock), with the invariants checked after every step:

- an order is never completed twice in a row and never loses a completion: it counts exactly
  the completed tasks of its lines still on it (plus what a voided line had finished), and is
  COMPLETED exactly when all of those are done;
- a task's completion is counted once per time it completes (a recall or re-fire un-counts);
- a task that has not started waits for exactly its parents that are not completed;
- stations and cooks hold exactly the active tasks and are never over capacity;
- every started task has the completion timer of its current start armed; the ready queue
  holds exactly the ready tasks.

A refused command (past the window, slot taken, voided, wrong state) records nothing.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.domain.task import ACTIVE, Task, TaskStatus
from unit.application.kitchen_harness import Harness, build_harness

pytestmark = pytest.mark.timeout(900)

A = TypeVar("A")
BIG = 1_000_000
ORDERS = st.sampled_from(
    [
        {"burger_combo": 1, "dip_cup": 1},
        {"wrap": 1, "cold_coffee": 1},
        {"burger_combo": 1},
        {"dip_cup": 2, "cold_coffee": 1},
    ]
)
pick = st.integers(0, 10_000)


def choose(options: list[A], index: int) -> A:
    return options[index % len(options)]


class CorrectionsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="kp-corrections-")
        self.kp: Harness = build_harness("popo", Path(self.dir.name))
        # Tight counters so that a recall can find its slot taken.
        self.kitchen.change_counter_capacity("adhoc", 2)
        self.kitchen.change_counter_capacity("griller", 2)
        self.kp.drain()
        self.order_ids: list[UUID] = []
        self.seen = self.kitchen.head_position()
        self.counted: Counter[tuple[UUID, UUID]] = Counter()  # (order, task) completions
        self.last_status: dict[UUID, str] = {}

    @property
    def kitchen(self) -> Any:
        return self.kp.kitchen

    def peek(self, aggregate_id: UUID) -> Any:
        return self.kitchen.repository.get(aggregate_id, deepcopy_from_cache=False)

    def tasks(self, *statuses: TaskStatus) -> list[UUID]:
        found = []
        for order_id in self.order_ids:
            for task_id in self.peek(order_id).task_ids:
                if self.peek(task_id).status in statuses:
                    found.append(task_id)
        return found

    def refusing(self, command: Any, *args: Any) -> None:
        """Run a command that the state may refuse; a refusal records nothing."""
        head = self.kitchen.head_position()
        try:
            command(*args)
        except KitchenError:
            assert self.kitchen.head_position() == head

    # -- rules --------------------------------------------------------------------------------

    @precondition(lambda self: len(self.order_ids) < 5)
    @rule(items=ORDERS)
    def confirm(self, items: dict[str, int]) -> None:
        order, _ = self.kitchen.confirm_order(items)
        self.order_ids.append(order.order_id)

    @rule()
    def allocate(self) -> None:
        self.kitchen.allocate()

    @rule(index=pick)
    def start(self, index: int) -> None:
        assigned = self.tasks(TaskStatus.ASSIGNED)
        if assigned:
            self.kitchen.start_task(choose(assigned, index))

    @rule(index=pick)
    def complete(self, index: int) -> None:
        started = self.tasks(TaskStatus.STARTED)
        if started:
            self.kitchen.complete_task(choose(started, index))

    @rule(index=pick)
    def recall(self, index: int) -> None:
        completed = self.tasks(TaskStatus.COMPLETED)
        if completed:
            self.refusing(self.kitchen.recall_task, choose(completed, index))

    @rule(index=pick)
    def refire(self, index: int) -> None:
        redo = self.tasks(TaskStatus.STARTED, TaskStatus.COMPLETED)
        if redo:
            self.refusing(self.kitchen.refire_task, choose(redo, index), "dropped")

    @rule(index=pick, line=pick)
    def void(self, index: int, line: int) -> None:
        if self.order_ids:
            order = self.peek(choose(self.order_ids, index))
            self.refusing(self.kitchen.void_line, order.id, choose(sorted(order.items), line))

    @rule(seconds=st.sampled_from([1, 5, 15, 40, 100]))
    def time_passes(self, seconds: int) -> None:
        """Timers fire: completions of the current starts, late ones of old starts (which
        must do nothing), stale assignments."""
        self.kp.clock.advance(seconds)
        self.kp.drain()
        self.kp.embedded.scheduler.run_due()

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        self.kp.drain()
        self.check_events()
        tasks: dict[UUID, Task] = {}
        for order_id in self.order_ids:
            order: Order = self.peek(order_id)
            mine = [self.peek(t) for t in order.task_ids]
            tasks.update((t.id, t) for t in mine)
            self.check_order(order, mine)
        for task in tasks.values():
            self.check_dependencies(task, tasks)
        self.check_resources(tasks)
        self.check_timers_and_queue(tasks)

    def check_events(self) -> None:
        """Order completions alternate with un-completions; a task is counted once per
        completion, un-counted only when counted."""
        head = self.kitchen.head_position()
        while self.seen < head:
            batch = self.kitchen.event_log(self.seen, 1000)
            for env in batch:
                if env.type == "ORDER_STATUS_CHANGED":
                    order_id = env.aggregate_id
                    new = env.data["new_status"]
                    if new == "COMPLETED":
                        assert self.last_status.get(order_id) != "COMPLETED", "completed twice"
                    self.last_status[order_id] = new
                elif env.type == "ORDER_TASK_COMPLETED":
                    key = (env.aggregate_id, UUID(env.data["task_id"]))
                    self.counted[key] += 1
                    assert self.counted[key] == 1, "a completion counted twice"
                elif env.type == "ORDER_TASK_REOPENED":
                    key = (env.aggregate_id, UUID(env.data["task_id"]))
                    assert self.counted[key] == 1, "un-counted what was not counted"
                    self.counted[key] -= 1
            self.seen = batch[-1].notification_id

    def check_order(self, order: Order, tasks: list[Task]) -> None:
        counted = set(order.completed_task_ids)
        assert len(counted) == len(order.completed_task_ids)
        assert counted == {t for (o, t), n in self.counted.items() if o == order.id and n}
        completed = {t.id for t in tasks if t.status == TaskStatus.COMPLETED}
        voided = set(order.voided_task_ids)
        assert counted <= completed, "counts a task that is not completed"
        assert completed - voided <= counted, "lost a completion"
        for task in tasks:
            # flagged exactly when its line was voided while it cooked or after it was done (a
            # task withdrawn unstarted is cancelled instead; one flagged, then withdrawn by the
            # order's cancel, keeps its flag)
            assert not task.voided or task.id in voided
            if task.status != TaskStatus.CANCELLED:
                assert task.voided == (task.id in voided)
        if order.status == OrderStatus.CANCELLED:
            assert all(t.is_final or t.voided for t in tasks)
            return
        required = [t for t in tasks if t.id not in voided]
        done = all(t.status == TaskStatus.COMPLETED for t in required)
        assert (order.status == OrderStatus.COMPLETED) == done
        assert (order.completed_at is not None) == done
        if not done and counted:
            assert order.status == OrderStatus.PART_COMPLETED

    @staticmethod
    def check_dependencies(task: Task, tasks: dict[UUID, Task]) -> None:
        if task.status in (TaskStatus.CANCELLED, TaskStatus.STARTED, TaskStatus.COMPLETED):
            return  # a started task may have gone ahead of a dependency re-done since
        parents_done = {p for p in task.depends_on if tasks[p].status == TaskStatus.COMPLETED}
        assert set(task.deps_met) == parents_done
        assert task.pending_deps == len(task.depends_on) - len(parents_done)
        assert (task.ready_at is not None) == (task.pending_deps == 0)

    def check_resources(self, tasks: dict[UUID, Task]) -> None:
        members = self.kitchen.directory("stations").members
        holders: dict[str, set[UUID]] = {name: set() for name in members}
        active: dict[UUID, set[UUID]] = {}
        for task in tasks.values():
            if task.status in ACTIVE:
                for name in task.held_stations():
                    holders[name].add(task.id)
                assert task.assigned_staff_id is not None
                active.setdefault(task.assigned_staff_id, set()).add(task.id)
        for name, station_id in members.items():
            station = self.peek(station_id)
            assert len(station.holders) <= station.capacity, f"{name} over capacity"
            assert set(station.holders) == holders[name], name
        for cook in self.kitchen.all_staff():
            assert len(cook.active_tasks) <= cook.max_parallel, cook.name
            assert set(cook.active_tasks) == active.get(cook.id, set()), cook.name

    def check_timers_and_queue(self, tasks: dict[UUID, Task]) -> None:
        pending = set(self.kp.embedded.scheduler.pending_timers())
        for task in tasks.values():
            if task.status == TaskStatus.STARTED:
                assert f"complete-{task.id}-{task.start_no}" in pending
        entries = self.kitchen.queue.top(BIG)
        assert {e.task_id for e in entries} == {t.id for t in tasks.values() if t.is_ready}
        for entry in entries:
            assert entry.key == tasks[entry.task_id].dispatch_key

    def teardown(self) -> None:
        self.kp.close()
        self.dir.cleanup()


CorrectionsMachine.TestCase.settings = settings(
    stateful_step_count=50, max_examples=max(10, settings.default.max_examples // 2)
)
TestCorrectionsStateMachine = CorrectionsMachine.TestCase
