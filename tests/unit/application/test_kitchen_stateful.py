"""The kitchen as a state machine: random command sequences, every invariant after every step.

The machine drives the embedded wiring (POPO event store, in-memory queue and read model,
in-process scheduler, manual clock, no threads): confirm, allocate, start, complete, requeue
(by ``requeue_stale`` or by letting the TTL run out), cancel, machines down/up, breaks, and
time passing so the scheduler fires auto-completions and stale timeouts. After each step the
log is followed (``runtime.drain()``) and the invariants of docs/domain.md are checked against
the aggregates, the event log and the projections. At the end of every run a second kitchen
replays the stored events into fresh projections and must reach the identical state.

Under ``HYPOTHESIS_PROFILE=ci`` the machine runs 200 examples of 80 steps. A second machine
runs the same rules on a SQLite file with one more, a restart (clean, or a crash between a
commit and the runtime following it), on a fifth as many examples.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.application.projection import task_row_status
from kangaroo_paw.domain.errors import CapacityExceeded, Conflict, InvalidTransition
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.domain.scoring import ORDER_PATH_WEIGHT
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import ACTIVE, Task, TaskStatus
from unit.application.kitchen_harness import Harness, build_harness

pytestmark = pytest.mark.timeout(900)

STEPS = 80
MACHINES = ["grill-1", "fryer-1", "blender-1", "micro-1", "packing-1"]
# Two cooks with short shifts beside the demo's all-day cooks: one leaves at 12:05, one
# arrives at 12:03 (the clock starts at 12:00), so on/off-shift picks are exercised.
EXTRA_COOKS = [
    ("Mia", ["griller", "fryer"], 2, "12:00", "12:05"),
    ("Leo", ["beverage", "microwave", "adhoc"], 2, "12:03", "13:00"),
]
COOKS = ["Asha", "Ravi", "Noah", "Mia", "Leo"]
# Tighter counters than the demo so station capacity binds, not only cook limits.
COUNTER_CAPACITY = {"griller": 3, "fryer": 2, "adhoc": 3}
BIG = 1_000_000

items_strategy = st.dictionaries(
    st.sampled_from(["burger_combo", "wrap", "cold_coffee", "dip_cup"]),
    st.integers(1, 2),
    min_size=1,
    max_size=2,
)
pick = st.integers(0, 10_000)
# Cooks mostly start and finish what they are given; now and then an assignment goes stale.
FLOW = [
    "allocate",
    "dispatch",
    "start",
    "start",
    "start",
    "complete",
    "complete",
    "requeue",
    "tick",
]

A = TypeVar("A")


def choose(options: list[A], index: int) -> A:
    return options[index % len(options)]


def several(options: list[A], index: int) -> list[A]:
    """One to three distinct options (cooks work side by side)."""
    count = 1 + (index // 7) % 3
    return [options[(index + n) % len(options)] for n in range(min(count, len(options)))]


class KitchenMachine(RuleBasedStateMachine):
    persistence = "popo"

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="kp-stateful-")
        self.kp: Harness = build_harness(self.persistence, Path(self.dir.name), snapshot_every=5)
        kitchen = self.kp.kitchen
        for name, capacity in COUNTER_CAPACITY.items():
            kitchen.change_counter_capacity(name, capacity)
        for name, skills, max_parallel, start, end in EXTRA_COOKS:
            kitchen.hire_staff(name, skills, max_parallel, 1.0, start, end)
        self.staff_ids = {s.name: s.staff_id for s in kitchen.list_staff()}
        self.shifts = {s.staff_id: Shift(s.shift_start, s.shift_end) for s in kitchen.list_staff()}
        self.kp.drain()
        # The model: what the rules did, to judge what the kitchen recorded.
        self.machine_up = dict.fromkeys(MACHINES, True)
        self.on_break = dict.fromkeys(self.staff_ids.values(), False)
        self.orders: dict[str, tuple[UUID, dict[str, int], str]] = {}
        self.deps: dict[UUID, list[UUID]] = {}
        self.task_counter: dict[UUID, str] = {}
        self.completed_at_notification: dict[UUID, int] = {}
        self.completions: Counter[UUID] = Counter()
        self.seen = self.kp.kitchen.head_position()

    # -- helpers ------------------------------------------------------------------------------

    @property
    def kitchen(self) -> Any:
        return self.kp.kitchen

    def peek(self, aggregate_id: UUID) -> Any:
        """Current state without the defensive copy (read only)."""
        return self.kitchen.repository.get(aggregate_id, deepcopy_from_cache=False)

    def rows(self, status: str) -> list[UUID]:
        return [r.task_id for r in self.kitchen.read_model.list_tasks(status, None, None, BIG)]

    def open_orders(self) -> list[UUID]:
        return [oid for oid, _, _ in self.orders.values() if not self.peek(oid).is_final]

    def final_orders(self) -> list[UUID]:
        return [oid for oid, _, _ in self.orders.values() if self.peek(oid).is_final]

    def confirm(self, items: dict[str, int], rush: bool) -> None:
        external = f"ext-{len(self.orders)}"
        priority = "rush" if rush else "normal"
        view, created = self.kitchen.confirm_order(items, external, priority)
        assert created
        self.orders[external] = (view.order_id, dict(items), priority)
        for task in view.tasks:
            self.deps[task.task_id] = list(task.depends_on)
            self.task_counter[task.task_id] = task.counter
            assert task.is_ready == (not task.depends_on)

    # -- rules --------------------------------------------------------------------------------

    @initialize(items=items_strategy)
    def first_order(self, items: dict[str, int]) -> None:
        self.confirm(items, rush=False)

    @precondition(lambda self: len(self.open_orders()) < 8)
    @rule(items=items_strategy, rush=st.booleans())
    def confirm_order(self, items: dict[str, int], rush: bool) -> None:
        self.confirm(items, rush)

    def flow(self, kind: str, index: int, as_cook: bool) -> None:
        """The kitchen's daily work. ``allocate`` runs one pass, ``dispatch`` whatever the
        scheduler has due (coalesced passes, timers); cooks ``start`` and ``complete`` tasks;
        ``requeue`` is the stale-assignment timer firing with the current assignment number;
        ``tick`` lets a few seconds pass. Cooks start or complete one to three tasks a step.
        A kind with no task to act on falls back to one that has (complete, start, allocate),
        so no step is wasted."""
        assigned, started = self.rows("ASSIGNED"), self.rows("STARTED")
        needs = {"start": assigned, "complete": started, "requeue": assigned}
        if kind in needs and not needs[kind]:
            kind = "complete" if started else "start" if assigned else "allocate"
        if kind == "allocate":
            result = self.kitchen.allocate()
            assert all(n >= 0 for n in result.blocked.values())
        elif kind == "dispatch":
            self.kp.embedded.scheduler.run_due()
        elif kind == "tick":
            self.kp.clock.advance(1 + index % 10)
            self.kp.drain()
            self.kp.embedded.scheduler.run_due()
        elif kind == "start":
            for task_id in several(assigned, index):
                staff_id = self.peek(task_id).assigned_staff_id if as_cook else None
                assert self.kitchen.start_task(task_id, staff_id).status == "STARTED"
        elif kind == "complete":
            for task_id in several(started, index):
                assert self.kitchen.complete_task(task_id).status == "COMPLETED"
        else:
            task_id = choose(assigned, index)
            task = self.peek(task_id)
            number, before = task.assignment_no, task.priority
            assert self.kitchen.requeue_stale(task_id, number) is True
            assert self.kitchen.requeue_stale(task_id, number) is False  # a duplicate timer
            task = self.peek(task_id)
            assert task.status == TaskStatus.UNASSIGNED
            assert task.priority == before + self.kitchen.policy.requeue_boost

    # The flow is three rules so that it runs often, and so that swarm testing (which
    # disables a random subset of rules per example) rarely switches the work off entirely.
    @rule(kind=st.sampled_from(FLOW), index=pick, as_cook=st.booleans())
    def work(self, kind: str, index: int, as_cook: bool) -> None:
        self.flow(kind, index, as_cook)

    @rule(kind=st.sampled_from(FLOW), index=pick, as_cook=st.booleans())
    def more_work(self, kind: str, index: int, as_cook: bool) -> None:
        self.flow(kind, index, as_cook)

    @rule(kind=st.sampled_from(FLOW), index=pick, as_cook=st.booleans())
    def still_more_work(self, kind: str, index: int, as_cook: bool) -> None:
        self.flow(kind, index, as_cook)

    @rule(index=pick, kind=st.sampled_from(["confirm", "complete", "requeue", "cancel"]))
    def misuse(self, index: int, kind: str) -> None:
        """Commands that do not fit the state are refused, or answered from what is already
        recorded, and record nothing: a repeated confirm (identical: the same order; changed:
        Conflict), completing a task that is not STARTED (by hand or by timer), requeueing
        under another assignment number, cancelling a final order."""
        head = self.kitchen.head_position()
        if kind == "confirm":
            external = choose(sorted(self.orders), index)
            order_id, items, priority = self.orders[external]
            view, created = self.kitchen.confirm_order(items, external, priority)
            assert (view.order_id, created) == (order_id, False)
            changed = {**items, "dip_cup": items.get("dip_cup", 0) + 1}
            with pytest.raises(Conflict):
                self.kitchen.confirm_order(changed, external, priority)
        elif kind == "cancel" and self.final_orders():
            with pytest.raises(InvalidTransition):
                self.kitchen.cancel_order(choose(self.final_orders(), index))
        elif kind == "requeue" and self.rows("ASSIGNED"):
            task_id = choose(self.rows("ASSIGNED"), index)
            number = self.peek(task_id).assignment_no
            assert self.kitchen.requeue_stale(task_id, number - 1) is False
            assert self.kitchen.requeue_stale(task_id, number + 1) is False
        else:
            task_id = choose(sorted(self.deps), index)
            if self.peek(task_id).status != TaskStatus.STARTED:
                with pytest.raises(InvalidTransition):
                    self.kitchen.complete_task(task_id)
                assert self.kitchen.auto_complete(task_id, 1) is False
        assert self.kitchen.head_position() == head

    @precondition(lambda self: len(self.open_orders()) >= 4)
    @rule(index=pick)
    def cancel(self, index: int) -> None:
        order_id = choose(self.open_orders(), index)
        assert self.kitchen.cancel_order(order_id).status == "CANCELLED"

    @rule(machine=st.sampled_from(MACHINES), cook=st.sampled_from(COOKS), on_machine=st.booleans())
    def disturb(self, machine: str, cook: str, on_machine: bool) -> None:
        """A machine goes down or comes back up; a cook goes on or comes back from a break."""
        if on_machine:
            up = not self.machine_up[machine]
            assert self.kitchen.set_machine_up(machine, up).up == up
            self.machine_up[machine] = up
        else:
            staff_id = self.staff_ids[cook]
            on_break = not self.on_break[staff_id]
            assert self.kitchen.set_break(staff_id, on_break).on_break == on_break
            self.on_break[staff_id] = on_break

    @rule(
        counter=st.sampled_from(sorted({*COUNTER_CAPACITY, "beverage", "microwave"})),
        cook=st.sampled_from(COOKS),
        on_counter=st.booleans(),
        size=st.integers(1, 4),
    )
    def reconfigure(self, counter: str, cook: str, on_counter: bool, size: int) -> None:
        """A counter's capacity or a cook's parallel limit changes; it may not drop below
        what is held right now (CapacityExceeded, nothing recorded)."""
        head = self.kitchen.head_position()
        if on_counter:
            held = len(self.kitchen.station(counter).holders)
            if size < held:
                with pytest.raises(CapacityExceeded):
                    self.kitchen.change_counter_capacity(counter, size)
                assert self.kitchen.head_position() == head
            else:
                assert self.kitchen.change_counter_capacity(counter, size).capacity == size
        else:
            staff_id = self.staff_ids[cook]
            held = len(self.peek(staff_id).active_tasks)
            if size < held:
                with pytest.raises(CapacityExceeded):
                    self.kitchen.update_staff(staff_id, max_parallel=size)
                assert self.kitchen.head_position() == head
            else:
                assert self.kitchen.update_staff(staff_id, max_parallel=size).max_parallel == size

    @rule(seconds=st.sampled_from([10, 20, 30, 50, 90]))
    def time_passes(self, seconds: int) -> None:
        self.kp.clock.advance(seconds)
        self.kp.drain()
        self.kp.embedded.scheduler.run_due()

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def kitchen_is_consistent(self) -> None:
        self.kp.drain()
        head = self.kitchen.head_position()
        self.check_new_events(head)
        self.check_state(head)

    def check_new_events(self, head: int) -> None:
        """Judge each new assignment by the world at its time, count completions."""
        while self.seen < head:
            batch = self.kitchen.event_log(self.seen, 1000)
            for env in batch:
                if env.type == "TASK_COMPLETED":
                    assert env.task_id is not None
                    self.completions[env.task_id] += 1
                    assert self.completions[env.task_id] == 1, "a task completed twice"
                    self.completed_at_notification[env.task_id] = env.notification_id
                elif env.type == "TASK_ASSIGNED":
                    assert env.task_id is not None
                    staff_id = UUID(env.data["staff_id"])
                    machine = env.data["machine"]
                    at = env.data["assigned_at"]
                    assert machine is None or self.machine_up[machine], "assigned to a down machine"
                    assert not self.on_break[staff_id], "assigned to a cook on break"
                    assigned_at = datetime.fromisoformat(at.replace("Z", "+00:00"))
                    assert self.shifts[staff_id].on_shift(assigned_at), "assigned off shift"
                    counter = self.task_counter[env.task_id]
                    assert counter in self.peek(staff_id).skills
                    for parent in self.deps[env.task_id]:
                        done = self.completed_at_notification.get(parent)
                        assert done is not None, "assigned before a dependency completed"
                        assert done < env.notification_id
            self.seen = batch[-1].notification_id

    def check_state(self, head: int) -> None:
        tasks: dict[UUID, Task] = {}
        for order_id, _, _ in self.orders.values():
            order: Order = self.peek(order_id)
            order_tasks = [self.peek(t) for t in order.task_ids]
            tasks.update((t.id, t) for t in order_tasks)
            self.check_order(order, order_tasks)
        for task in tasks.values():
            self.check_dependencies(task, tasks)
        assert set(self.completions) == {
            t.id for t in tasks.values() if t.status == TaskStatus.COMPLETED
        }
        self.check_resources(tasks)
        self.check_timers(tasks)
        self.check_projections(tasks, head)

    @staticmethod
    def check_order(order: Order, tasks: list[Task]) -> None:
        """COMPLETED exactly when every task is; the status follows the tasks' progress."""
        completed = {t.id for t in tasks if t.status == TaskStatus.COMPLETED}
        assert (order.status == OrderStatus.COMPLETED) == (len(completed) == len(tasks))
        assert set(order.completed_task_ids) == completed
        if order.status == OrderStatus.CANCELLED:
            assert all(t.is_final for t in tasks)
        elif not completed:
            assert order.status in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS)
        elif len(completed) < len(tasks):
            assert order.status == OrderStatus.PART_COMPLETED
        if order.status == OrderStatus.CONFIRMED:
            assert all(t.status == TaskStatus.UNASSIGNED for t in tasks)

    @staticmethod
    def check_dependencies(task: Task, tasks: dict[UUID, Task]) -> None:
        """A task waits for exactly its parents that are not completed yet, so one that is
        ready, assigned, started or completed has none left (a cancelled one may)."""
        if task.status == TaskStatus.CANCELLED:
            return
        waiting = sum(tasks[p].status != TaskStatus.COMPLETED for p in task.depends_on)
        assert task.pending_deps == waiting
        assert (task.ready_at is not None) == (waiting == 0)
        if task.status != TaskStatus.UNASSIGNED:
            assert waiting == 0, "a task went ahead of its dependencies"

    def check_resources(self, tasks: dict[UUID, Task]) -> None:
        """Nothing over capacity; holders and active tasks are exactly the open tasks."""
        members = self.kitchen.directory("stations").members
        holders: dict[str, set[UUID]] = {name: set() for name in members}
        active: dict[UUID, set[UUID]] = {sid: set() for sid in self.staff_ids.values()}
        for task in tasks.values():
            if task.status in ACTIVE:
                for name in task.held_stations():
                    holders[name].add(task.id)
                assert task.assigned_staff_id is not None
                active[task.assigned_staff_id].add(task.id)
        for name, station_id in members.items():
            station: Station = self.peek(station_id)
            assert len(station.holders) <= station.capacity, f"{name} over capacity"
            assert len(station.holders) == len(set(station.holders))
            assert set(station.holders) == holders[name], f"{name} holders"
        for staff_id, task_ids in active.items():
            cook: Staff = self.peek(staff_id)
            assert len(cook.active_tasks) <= cook.max_parallel, f"{cook.name} over max_parallel"
            assert set(cook.active_tasks) == task_ids, f"{cook.name} active tasks"

    def check_timers(self, tasks: dict[UUID, Task]) -> None:
        """Every open assignment has its stale timer armed, every started task its
        auto-completion: nothing waits for some other event to come along."""
        pending = set(self.kp.embedded.scheduler.pending_timers())
        for task in tasks.values():
            if task.status == TaskStatus.ASSIGNED:
                assert f"timeout-{task.id}-{task.assignment_no}" in pending
            elif task.status == TaskStatus.STARTED:
                assert f"complete-{task.id}-{task.start_no}" in pending

    def check_projections(self, tasks: dict[UUID, Task], head: int) -> None:
        """The projections caught up: the queue holds exactly the ready tasks, by their
        aging keys, and every read-model row has its task's status."""
        queue, read_model = self.kitchen.queue, self.kitchen.read_model
        assert queue.position() == head
        assert read_model.position() == head
        entries = queue.top(BIG)
        ready = {t.id for t in tasks.values() if t.is_ready}
        assert {e.task_id for e in entries} == ready
        assert queue.size() == len(ready)
        assert [e.key for e in entries] == sorted(e.key for e in entries)
        for entry in entries:
            task = tasks[entry.task_id]
            assert task.ready_at is not None
            assert entry.priority == task.priority
            assert entry.key == task.dispatch_key
            age = task.created_at.timestamp() - task.rush_credit_secs
            assert entry.score == age + ORDER_PATH_WEIGHT * task.order_path_secs
            assert task.order_path_secs >= task.tail_secs  # the order's path covers its own
        rows = read_model.list_tasks(None, None, None, BIG)
        assert {r.task_id: r.status for r in rows} == {
            tid: task_row_status(t) for tid, t in tasks.items()
        }

    # -- the end of a run: replay ---------------------------------------------------------------

    def teardown(self) -> None:
        try:
            self.check_replay()
        finally:
            self.kp.close()
            self.dir.cleanup()

    def check_replay(self) -> None:
        """A second kitchen over a copy of the stored events, with no aggregate cache and
        fresh projections, reaches the identical state; so does loading from snapshots."""
        self.kp.drain()
        live = self.kp.state()
        with tempfile.TemporaryDirectory(prefix="kp-replay-") as data_dir:
            fresh = build_harness(
                "popo", Path(data_dir), ManualClock(self.kp.clock.now()), seed=False
            )
            try:
                fresh.kitchen.repository.cache = None
                notifications = self.kitchen.recorder.select_notifications(start=1, limit=BIG)
                fresh.kitchen.recorder.insert_events(
                    [
                        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                        for n in notifications
                    ]
                )
                fresh.embedded.runtime.recover()
                fresh.drain()
                replayed = fresh.state()
                assert replayed == live
            finally:
                fresh.close()
        # Snapshots (taken every 5 events here) give the same state as the events alone.
        repository = self.kitchen.repository
        for sid in [*self.staff_ids.values(), *self.kitchen.directory("stations").members.values()]:
            current = self.peek(sid)
            from_snapshot = repository.get(sid, version=current.version)
            assert vars(from_snapshot) == vars(current)


class SqliteKitchenMachine(KitchenMachine):
    """The same machine on a SQLite file, with one more rule: the process restarts."""

    persistence = "sqlite"

    @rule(crash=st.booleans())
    def restart(self, crash: bool) -> None:
        """Close the kitchen and open a new one on the same file and clock. A clean restart
        sees the identical state; a crash right after a pass committed (before the runtime
        followed the log) must be repaired by recovery: projections rebuilt from the log,
        the new assignments' timers re-armed from state (the invariants check both)."""
        if crash:
            self.kitchen.allocate()
        else:
            self.kp.drain()
        before = None if crash else self.kp.state()
        clock = self.kp.clock
        self.kp.close()
        self.kp = build_harness(
            "sqlite", Path(self.dir.name), clock, seed=False, settle=False, snapshot_every=5
        )
        if before is not None:
            assert self.kp.state() == before


KitchenMachine.TestCase.settings = settings(stateful_step_count=STEPS)
TestKitchenStateMachine = KitchenMachine.TestCase

# SQLite is slower and the POPO machine already covers the rules: a fifth of the examples.
SqliteKitchenMachine.TestCase.settings = settings(
    stateful_step_count=STEPS, max_examples=max(5, settings.default.max_examples // 5)
)
TestSqliteKitchenStateMachine = SqliteKitchenMachine.TestCase
