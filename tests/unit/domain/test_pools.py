"""Machine pools in the domain: the pass places a pool task on the freest live machine of its
kind, never over capacity and never on a machine that is down; a machine going down reroutes
its unstarted tasks and marks its started ones interrupted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from domain_builders import at, make_task
from hypothesis import given, settings
from hypothesis import strategies as st

from kangaroo_paw.domain.allocation import (
    MACHINE_DOWN_OR_FULL,
    Candidate,
    CookState,
    GroupKey,
    placeable,
    plan_pass,
    pool_machine,
    pools_of,
)
from kangaroo_paw.domain.errors import CapacityExceeded, InvalidTransition, RecipeInvalid
from kangaroo_paw.domain.recipes import RecipeStep, validate_recipe
from kangaroo_paw.domain.scoring import Weights
from kangaroo_paw.domain.station import MACHINE, Station
from kangaroo_paw.domain.task import Task, TaskStatus

W = Weights()
FRYERS: GroupKey = ("fry", None, "fryer")
SALAMANDER: GroupKey = ("fry", "salamander", None)
POOLS = pools_of({"fryer-b": ("fry", "fryer"), "fryer-a": ("fry", "fryer")})


def chef(max_parallel: int = 10, skills: Sequence[str] = ("fry",)) -> CookState:
    return CookState(uuid.uuid4(), "Asha", frozenset(skills), 0, max_parallel, 0.0, 1.0, True)


def heads(group: GroupKey, n: int) -> list[Candidate]:
    return [
        Candidate(uuid.UUID(int=i + 1), group[0], group[1], (float(i), ""), group[2])
        for i in range(n)
    ]


def test_pools_list_their_machines_by_name() -> None:
    assert POOLS == {("fry", "fryer"): ["fryer-a", "fryer-b"]}


@pytest.mark.parametrize(
    ("free", "chosen"),
    [
        ({"fryer-a": 1, "fryer-b": 1}, "fryer-a"),  # a tie goes by name
        ({"fryer-a": 1, "fryer-b": 2}, "fryer-b"),  # the most free slots first
        ({"fryer-a": 0, "fryer-b": 0}, None),  # all down or full
        ({"fryer-b": 1}, "fryer-b"),  # an unknown (or down) machine has no slots
    ],
)
def test_the_pool_machine_is_the_freest_then_the_first_by_name(
    free: dict[str, int], chosen: str | None
) -> None:
    assert pool_machine("fry", "fryer", free, POOLS) == chosen
    assert pool_machine("fry", "oven", free, POOLS) is None


def test_a_pass_spreads_a_pool_group_over_its_machines() -> None:
    free = {"fry": 10, "fryer-a": 2, "fryer-b": 2}
    assert placeable(FRYERS, free, [chef()], POOLS) == 4
    plan = plan_pass({FRYERS: heads(FRYERS, 5)}, free, [chef()], W, pools=POOLS)
    assert [a.machine for a in plan.assignments] == ["fryer-a", "fryer-b", "fryer-a", "fryer-b"]
    assert plan.blocked[MACHINE_DOWN_OR_FULL] == 1


def test_a_pool_is_blocked_only_when_every_machine_is_down_or_full() -> None:
    down_a = {"fry": 10, "fryer-a": 0, "fryer-b": 1}
    plan = plan_pass({FRYERS: heads(FRYERS, 2)}, down_a, [chef()], W, pools=POOLS)
    assert [a.machine for a in plan.assignments] == ["fryer-b"]
    assert plan.blocked[MACHINE_DOWN_OR_FULL] == 1
    without_pools = plan_pass({FRYERS: heads(FRYERS, 2)}, down_a, [chef()], W)
    assert without_pools.assignments == []  # a pool of no machines places nothing


def test_a_blocked_pool_does_not_hold_up_another_group() -> None:
    free = {"fry": 10, "fryer-a": 0, "fryer-b": 0, "salamander": 1}
    groups = {FRYERS: heads(FRYERS, 3), SALAMANDER: heads(SALAMANDER, 1)}
    # The salamander task is behind all three fryer tasks in pick order.
    groups[SALAMANDER] = [Candidate(uuid.uuid4(), "fry", "salamander", (9.0, ""))]
    plan = plan_pass(groups, free, [chef()], W, pools=POOLS)
    assert [a.machine for a in plan.assignments] == ["salamander"]
    assert plan.blocked[MACHINE_DOWN_OR_FULL] == 3


def test_a_pool_and_a_step_naming_one_of_its_machines_share_its_slots() -> None:
    named: GroupKey = ("fry", "fryer-a", None)
    free = {"fry": 10, "fryer-a": 1, "fryer-b": 0}
    first = [Candidate(uuid.uuid4(), "fry", "fryer-a", (-1.0, ""))]  # ahead of the pool
    plan = plan_pass({named: first, FRYERS: heads(FRYERS, 1)}, free, [chef()], W, pools=POOLS)
    assert [a.machine for a in plan.assignments] == ["fryer-a"]
    assert plan.assignments[0].task_id == first[0].task_id


# -- the task ------------------------------------------------------------------------------------


def test_a_pool_task_is_assigned_to_the_machine_chosen_for_it() -> None:
    task = make_task(counter="fry", machine=None, machine_kind="fryer")
    with pytest.raises(InvalidTransition, match="needs a fryer machine"):
        task.assign(uuid.uuid4(), "Asha", at(1))
    task.assign(uuid.uuid4(), "Asha", at(1), "fryer-b")
    assert (task.assigned_machine, task.held_stations()) == ("fryer-b", ["fry", "fryer-b"])
    named = make_task()
    with pytest.raises(InvalidTransition, match="runs on grill-1"):
        named.assign(uuid.uuid4(), "Asha", at(1), "grill-2")
    named.assign(uuid.uuid4(), "Asha", at(1), "grill-1")
    assert named.assigned_machine == "grill-1"


def test_machine_down_reroutes_an_assigned_task_and_interrupts_a_started_one() -> None:
    task = make_task(counter="fry", machine=None, machine_kind="fryer")
    task.assign(uuid.uuid4(), "Asha", at(1), "fryer-a")
    key = task.dispatch_key
    with pytest.raises(InvalidTransition, match="does not hold machine fryer-b"):
        task.machine_down("fryer-b", at(2))
    task.machine_down("fryer-a", at(2))
    assert (task.status, task.is_ready, task.assigned_machine) == ("UNASSIGNED", True, None)
    assert task.dispatch_key == key  # its place in the queue is kept
    assert (task.requeue_count, task.requeue_boost) == (0, 0.0)
    task.assign(uuid.uuid4(), "Asha", at(3), "fryer-b")
    task.start(at(4))
    task.machine_down("fryer-b", at(5))
    assert (task.status, task.interrupted_at, task.assigned_machine) == (
        TaskStatus.STARTED,
        at(5),
        "fryer-b",
    )
    kinds = [type(e).__name__ for e in task.collect_events()]
    assert kinds[-5:] == ["Assigned", "Rerouted", "Assigned", "Started", "Interrupted"]


def test_task_and_station_events_of_before_pools_are_upcast() -> None:
    created: dict[str, Any] = {"name": "fryer-1", "kind": MACHINE}
    Station.Created.upcast_v1_v2(created)
    assert created["machine_kind"] == "fryer-1"  # a pool of its own
    counter: dict[str, Any] = {"name": "fry", "kind": "counter"}
    Station.upcast_v2_v3(counter)
    assert counter["machine_kind"] is None
    task: dict[str, Any] = {}
    Task.Created.upcast_v2_v3(task)
    assert task == {"machine_kind": None, "modifiers": [], "allergens": []}


# -- the recipe ----------------------------------------------------------------------------------


def test_a_pool_step_needs_a_kind_of_its_counter_and_no_machine() -> None:
    counters, machines = ["fry", "grill"], {"fryer-a": "fry", "grill-1": "grill"}
    kinds = {"fry": {"fryer"}, "grill": {"griddle"}}

    def check(step: RecipeStep) -> None:
        validate_recipe("chips", [step], [], counters, machines, kinds)

    check(RecipeStep(1, "fry", "fry", None, 60.0, 1.0, machine_kind="fryer"))
    with pytest.raises(RecipeInvalid, match="not both"):
        check(RecipeStep(1, "fry", "fry", "fryer-a", 60.0, 1.0, machine_kind="fryer"))
    with pytest.raises(RecipeInvalid, match="counter 'fry' has no machine of kind 'griddle'"):
        check(RecipeStep(1, "fry", "fry", None, 60.0, 1.0, machine_kind="griddle"))
    step = RecipeStep(1, "fry", "fry", None, 60.0, 1.0, machine_kind="fryer")
    assert RecipeStep.from_dict(step.to_dict()) == step
    old = {k: v for k, v in step.to_dict().items() if k != "machine_kind"}
    assert RecipeStep.from_dict(old).machine_kind is None  # stored before pools


# -- property: random pools, flips and passes never overfill a machine or use a down one ------

KINDS = ("fryer", "oven")
OPS = st.lists(
    st.tuples(
        st.sampled_from(["allocate", "flip", "start", "finish", "arrive"]), st.integers(0, 50)
    ),
    max_size=40,
)


def _station(name: str, kind: str, capacity: int) -> Station:
    return Station(
        id=uuid.uuid4(),
        name=name,
        kind=MACHINE,
        counter="fry",
        capacity=capacity,
        machine_kind=kind,
    )


class _World:
    """Pool machines (Station aggregates), pool tasks (Task aggregates) and one cook, changed
    as the application changes them."""

    def __init__(self, capacities: list[tuple[str, int]], parallel: int) -> None:
        self.machines = {
            f"m{i}": _station(f"m{i}", kind, cap) for i, (kind, cap) in enumerate(capacities)
        }
        self.pools = pools_of({n: ("fry", m.machine_kind or "") for n, m in self.machines.items()})
        self.tasks: dict[uuid.UUID, Task] = {}
        self.cook = chef(parallel)
        self.clock = 0

    def active(self) -> list[Task]:
        return [
            t for t in self.tasks.values() if t.status in (TaskStatus.ASSIGNED, TaskStatus.STARTED)
        ]

    def in_status(self, status: TaskStatus) -> list[Task]:
        return [t for t in self.tasks.values() if t.status == status]

    def arrive(self, n: int) -> None:
        task = make_task(counter="fry", machine=None, machine_kind=KINDS[n % 2])
        self.tasks[task.id] = task

    def allocate(self, n: int) -> None:
        groups: dict[GroupKey, list[Candidate]] = {}
        ready = sorted((t for t in self.tasks.values() if t.is_ready), key=lambda t: t.dispatch_key)
        for t in ready:
            cand = Candidate(t.id, t.counter, None, t.dispatch_key, t.machine_kind)
            groups.setdefault(cand.group, []).append(cand)
        free = {"fry": 100, **{name: m.free for name, m in self.machines.items()}}
        self.cook.active = len(self.active())
        plan = plan_pass(groups, free, [self.cook], W, pools=self.pools)
        for a in plan.assignments:
            machine, task = self.machines[a.machine or ""], self.tasks[a.task_id]
            assert machine.up
            assert machine.machine_kind == task.machine_kind
            machine.reserve(task.id)  # raises on a full or down machine
            task.assign(a.staff_id, a.staff_name, at(self.clock), a.machine)

    def flip(self, n: int) -> None:
        machine = list(self.machines.values())[n % len(self.machines)]
        if not machine.up:
            machine.come_up(at(self.clock))
            return
        machine.go_down(at(self.clock))
        for task_id in list(machine.holders):
            task = self.tasks[task_id]
            if task.status == TaskStatus.ASSIGNED:
                machine.release(task.id)
            task.machine_down(machine.name, at(self.clock))

    def start(self, n: int) -> None:
        waiting = self.in_status(TaskStatus.ASSIGNED)
        if waiting:
            waiting[n % len(waiting)].start(at(self.clock))

    def finish(self, n: int) -> None:
        running = self.in_status(TaskStatus.STARTED)
        if running:
            task = running[n % len(running)]
            self.machines[task.assigned_machine or ""].release(task.id)
            task.complete(at(self.clock))

    def check(self) -> None:
        for machine in self.machines.values():
            assert len(machine.holders) <= machine.capacity
            for task_id in machine.holders:
                task = self.tasks[task_id]
                assert task.assigned_machine == machine.name
                # Only a task started before the machine went down stays on a down machine.
                assert machine.up or task.status == TaskStatus.STARTED
        assert len(self.active()) <= self.cook.max_parallel
        assert sum(len(m.holders) for m in self.machines.values()) == len(self.active())


@settings(max_examples=150, deadline=None)
@given(
    capacities=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(1, 3)), min_size=1, max_size=5
    ),
    parallel=st.integers(1, 6),
    ops=OPS,
)
def test_pools_never_overfill_a_machine_nor_assign_to_a_down_one(
    capacities: list[tuple[str, int]], parallel: int, ops: list[tuple[str, int]]
) -> None:
    world = _World(capacities, parallel)
    for op, n in ops:
        world.clock += 1
        getattr(world, op)(n)
        world.check()


def test_a_station_refuses_what_the_pass_would_never_ask() -> None:
    fryer = _station("fryer-a", "fryer", 1)
    fryer.reserve(uuid.uuid4())
    with pytest.raises(CapacityExceeded):
        fryer.reserve(uuid.uuid4())
    assert fryer.serves("fry", "fryer")
    assert not fryer.serves("fry", "oven")
