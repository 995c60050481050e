"""The pure pass planner: group heads, no head-of-line blocking, deterministic staff picks."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain.allocation import (
    COUNTER_FULL,
    MACHINE_DOWN_OR_FULL,
    NO_STAFF,
    Assignment,
    Candidate,
    CookState,
    GroupKey,
    pick_cook,
    plan_pass,
)
from kangaroo_paw.domain.scoring import Weights

W = Weights()
GRILL: GroupKey = ("griller", "grill-1", None)
FRYER: GroupKey = ("fryer", "fryer-1", None)
ADHOC: GroupKey = ("adhoc", None, None)


def cook(
    name: str,
    skills: Sequence[str] = ("griller", "fryer", "adhoc"),
    *,
    active: int = 0,
    max_parallel: int = 2,
    utilization: float = 0.0,
    efficiency: float = 1.0,
    available: bool = True,
    staff_id: UUID | None = None,
) -> CookState:
    return CookState(
        staff_id=staff_id or uuid.uuid4(),
        name=name,
        skills=frozenset(skills),
        active=active,
        max_parallel=max_parallel,
        utilization=utilization,
        efficiency=efficiency,
        available=available,
    )


def candidates(group: GroupKey, *keys: float) -> list[Candidate]:
    return sorted(
        (Candidate(uuid.uuid4(), group[0], group[1], k, group[2]) for k in keys),
        key=lambda c: (c.key, str(c.task_id)),
    )


SLOTS = {"griller": 6, "grill-1": 6, "fryer": 4, "fryer-1": 4, "adhoc": 99}


# -- staff pick ------------------------------------------------------------------------------


def test_pick_prefers_the_lowest_score() -> None:
    busy = cook("busy", active=1, efficiency=1.0)  # 1.2 - 1.1 = 0.1
    idle = cook("idle", efficiency=1.0)  # -1.1
    assert pick_cook("griller", [busy, idle], W) is idle


def test_pick_weighs_utilization_and_efficiency() -> None:
    worn = cook("worn", utilization=0.9, efficiency=1.0)  # 0.81 - 1.1 = -0.29
    fast = cook("fast", utilization=0.0, efficiency=0.5)  # -0.55
    assert pick_cook("griller", [worn, fast], W) is fast
    quick = cook("quick", utilization=0.0, efficiency=1.5)  # -1.65
    assert pick_cook("griller", [worn, fast, quick], W) is quick


def test_pick_ties_break_by_staff_id() -> None:
    low = uuid.UUID(int=1)
    high = uuid.UUID(int=2)
    a = cook("A", staff_id=high)
    b = cook("B", staff_id=low)
    assert pick_cook("griller", [a, b], W) is b
    assert pick_cook("griller", [b, a], W) is b


def test_pick_skips_ineligible_cooks() -> None:
    no_skill = cook("no-skill", skills=["adhoc"])
    away = cook("away", available=False)
    full = cook("full", active=2, max_parallel=2)
    assert pick_cook("griller", [no_skill, away, full], W) is None
    ok = cook("ok", active=1, max_parallel=2)
    assert pick_cook("griller", [no_skill, away, full, ok], W) is ok


# -- the pass --------------------------------------------------------------------------------


def test_no_head_of_line_blocking_behind_a_full_fryer() -> None:
    """20 fryer tasks ahead in priority, fryer counter full: the grill task still goes."""
    fryer_tasks = candidates(FRYER, *[-100.0 - i for i in range(20)])
    grill_task = candidates(GRILL, 50.0)
    asha = cook("Asha")
    plan = plan_pass(
        {FRYER: fryer_tasks, GRILL: grill_task},
        {**SLOTS, "fryer": 0},
        [asha],
        W,
    )
    assert [a.task_id for a in plan.assignments] == [grill_task[0].task_id]
    assert plan.blocked == {NO_STAFF: 0, COUNTER_FULL: 20, MACHINE_DOWN_OR_FULL: 0}


def test_a_down_machine_blocks_only_its_own_group() -> None:
    fryer_tasks = candidates(FRYER, -10, -9, -8)
    adhoc = candidates(ADHOC, 0)
    plan = plan_pass(
        {FRYER: fryer_tasks, ADHOC: adhoc},
        {**SLOTS, "fryer-1": 0},
        [cook("Ravi")],
        W,
    )
    assert [a.task_id for a in plan.assignments] == [adhoc[0].task_id]
    assert plan.blocked[MACHINE_DOWN_OR_FULL] == 3


def test_tasks_go_in_key_order_across_groups() -> None:
    grill = candidates(GRILL, 1.0, 4.0)
    fryer = candidates(FRYER, 2.0, 3.0)
    plan = plan_pass({GRILL: grill, FRYER: fryer}, SLOTS, [cook("A", max_parallel=10)], W)
    assert [a.task_id for a in plan.assignments] == [
        grill[0].task_id,
        fryer[0].task_id,
        fryer[1].task_id,
        grill[1].task_id,
    ]


def test_counter_and_machine_slots_are_consumed() -> None:
    grill = candidates(GRILL, 1, 2, 3, 4)
    plan = plan_pass({GRILL: grill}, {"griller": 6, "grill-1": 2}, [cook("A", max_parallel=9)], W)
    assert len(plan.assignments) == 2
    assert plan.blocked[MACHINE_DOWN_OR_FULL] == 2
    plan = plan_pass({GRILL: grill}, {"griller": 1, "grill-1": 6}, [cook("A", max_parallel=9)], W)
    assert len(plan.assignments) == 1
    assert plan.blocked[COUNTER_FULL] == 3


def test_cooks_fill_up_to_max_parallel_and_then_the_rest_is_blocked_on_staff() -> None:
    a = cook("A", max_parallel=2, staff_id=uuid.UUID(int=1))
    b = cook("B", max_parallel=1, staff_id=uuid.UUID(int=2))
    grill = candidates(GRILL, 1, 2, 3, 4, 5)
    plan = plan_pass({GRILL: grill}, SLOTS, [a, b], W)
    per_cook = Counter(x.staff_name for x in plan.assignments)
    assert per_cook == {"A": 2, "B": 1}
    assert plan.blocked == {NO_STAFF: 2, COUNTER_FULL: 0, MACHINE_DOWN_OR_FULL: 0}


def test_load_spreads_between_equal_cooks_deterministically() -> None:
    a = cook("A", max_parallel=3, staff_id=uuid.UUID(int=1))
    b = cook("B", max_parallel=3, staff_id=uuid.UUID(int=2))
    grill = candidates(GRILL, 1, 2, 3, 4)
    plan = plan_pass({GRILL: grill}, SLOTS, [a, b], W)
    # Tie at 0 active → A (lower id); then B has fewer tasks; then tie again → A; then B.
    assert [x.staff_name for x in plan.assignments] == ["A", "B", "A", "B"]
    again = plan_pass({GRILL: grill}, SLOTS, [replace(a, active=0), replace(b, active=0)], W)
    assert again.assignments == plan.assignments


def test_skills_route_tasks() -> None:
    griller = cook("G", skills=["griller"])
    fryer = cook("F", skills=["fryer"])
    plan = plan_pass(
        {GRILL: candidates(GRILL, 1), FRYER: candidates(FRYER, 2)}, SLOTS, [griller, fryer], W
    )
    assert {(x.counter, x.staff_name) for x in plan.assignments} == {
        ("griller", "G"),
        ("fryer", "F"),
    }


def test_unavailable_cooks_block_with_no_staff() -> None:
    plan = plan_pass({ADHOC: candidates(ADHOC, 1, 2)}, SLOTS, [cook("A", available=False)], W)
    assert plan.assignments == []
    assert plan.blocked[NO_STAFF] == 2


def test_unknown_station_has_no_slots() -> None:
    plan = plan_pass(
        {("oven", None, None): candidates(("oven", None, None), 1)}, SLOTS, [cook("A")], W
    )
    assert plan.assignments == []
    assert plan.blocked[COUNTER_FULL] == 1


def test_group_sizes_count_the_unfetched_tail() -> None:
    grill = candidates(GRILL, 1, 2)  # only a prefix of 10
    fryer = candidates(FRYER, 3)  # prefix of 5, fryer counter full
    plan = plan_pass(
        {GRILL: grill, FRYER: fryer},
        {**SLOTS, "fryer": 0},
        [cook("A", max_parallel=2)],
        W,
        group_sizes={GRILL: 10, FRYER: 5},
    )
    assert len(plan.assignments) == 2
    assert plan.blocked == {NO_STAFF: 8, COUNTER_FULL: 5, MACHINE_DOWN_OR_FULL: 0}


def test_max_assignments_bounds_a_pass() -> None:
    plan = plan_pass(
        {GRILL: candidates(GRILL, 1, 2, 3)}, SLOTS, [cook("A", max_parallel=5)], W, None, 2
    )
    assert len(plan.assignments) == 2


def test_the_pass_does_not_mutate_the_free_slots_it_was_given() -> None:
    free = dict(SLOTS)
    plan_pass({GRILL: candidates(GRILL, 1)}, free, [cook("A")], W)
    assert free == SLOTS


def test_empty_groups_are_harmless() -> None:
    plan = plan_pass({GRILL: []}, SLOTS, [cook("A")], W)
    assert plan.assignments == []
    assert sum(plan.blocked.values()) == 0


# -- property: the pass equals a naive greedy walk over every task in key order ------------


def naive_greedy(
    groups: Mapping[GroupKey, Sequence[Candidate]],
    free_slots: Mapping[str, int],
    cooks: Sequence[CookState],
) -> list[Assignment]:
    """Visit every task in global pick order; place it if it fits right now."""
    free = dict(free_slots)
    result = []
    everything = sorted(
        (c for items in groups.values() for c in items), key=lambda c: (c.key, str(c.task_id))
    )
    for c in everything:
        if free.get(c.counter, 0) <= 0:
            continue
        if c.machine is not None and free.get(c.machine, 0) <= 0:
            continue
        chosen = pick_cook(c.counter, cooks, W)
        if chosen is None:
            continue
        chosen.active += 1
        free[c.counter] -= 1
        if c.machine is not None:
            free[c.machine] -= 1
        result.append(Assignment(c.task_id, chosen.staff_id, chosen.name, c.counter, c.machine))
    return result


GROUPS: list[GroupKey] = [
    GRILL,
    FRYER,
    ADHOC,
    ("griller", None, None),
    ("beverage", "blender-1", None),
]
STATIONS = ["griller", "grill-1", "fryer", "fryer-1", "adhoc", "beverage", "blender-1"]
SKILLS = ["griller", "fryer", "adhoc", "beverage"]


@st.composite
def pass_inputs(
    draw: st.DrawFn,
) -> tuple[dict[GroupKey, list[Candidate]], dict[str, int], list[CookState]]:
    groups: dict[GroupKey, list[Candidate]] = {}
    for gkey in GROUPS:
        keys = draw(st.lists(st.integers(-20, 20).map(float), max_size=8))
        groups[gkey] = candidates(gkey, *keys)
    free = {name: draw(st.integers(0, 4)) for name in STATIONS}
    cooks = [
        cook(
            f"cook{i}",
            draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=4, unique=True)),
            active=draw(st.integers(0, 2)),
            max_parallel=draw(st.integers(1, 3)),
            utilization=draw(st.sampled_from([0.0, 0.25, 0.5])),
            efficiency=draw(st.sampled_from([0.8, 1.0, 1.1])),
            available=draw(st.booleans()),
            staff_id=uuid.UUID(int=i + 1),
        )
        for i in range(draw(st.integers(0, 4)))
    ]
    return groups, free, cooks


@given(inputs=pass_inputs())
def test_pass_equals_the_naive_greedy_walk_and_keeps_every_limit(
    inputs: tuple[dict[GroupKey, list[Candidate]], dict[str, int], list[CookState]],
) -> None:
    groups, free, cooks = inputs
    expected = naive_greedy(groups, free, [replace(c) for c in cooks])
    plan = plan_pass(groups, free, [replace(c) for c in cooks], W)
    assert plan.assignments == expected
    total = sum(len(v) for v in groups.values())
    assert len(plan.assignments) + sum(plan.blocked.values()) == total
    # Limits: slots, parallel limits, skills and availability.
    used = Counter[str]()
    for a in plan.assignments:
        used[a.counter] += 1
        if a.machine:
            used[a.machine] += 1
    assert all(used[name] <= free[name] for name in used)
    by_id = {c.staff_id: c for c in cooks}
    per_cook = Counter(a.staff_id for a in plan.assignments)
    for staff_id, n in per_cook.items():
        c = by_id[staff_id]
        assert c.available
        assert c.active + n <= c.max_parallel
    assert all(a.counter in by_id[a.staff_id].skills for a in plan.assignments)
    assert len({a.task_id for a in plan.assignments}) == len(plan.assignments)


@given(inputs=pass_inputs(), prefix=st.integers(1, 3))
def test_a_prefix_of_each_group_with_its_size_blocks_the_same_count(
    inputs: tuple[dict[GroupKey, list[Candidate]], dict[str, int], list[CookState]],
    prefix: int,
) -> None:
    """Fetching only a few heads per group changes nothing while the heads suffice."""
    groups, free, cooks = inputs
    full = plan_pass(groups, free, [replace(c) for c in cooks], W)
    limit = prefix + max(free.values(), default=0) * 2
    heads = {g: items[:limit] for g, items in groups.items()}
    sizes = {g: len(items) for g, items in groups.items()}
    partial = plan_pass(heads, free, [replace(c) for c in cooks], W, group_sizes=sizes)
    assert partial.assignments == full.assignments
    assert sum(partial.blocked.values()) == sum(full.blocked.values())


@pytest.mark.parametrize("n_blocked", [0, 20, 2000])
def test_cost_does_not_grow_with_blocked_tasks(n_blocked: int) -> None:
    """A blocked group is dropped as a whole: its tasks are never visited one by one."""
    visited = 0

    class CountingList(list[Candidate]):
        def __getitem__(self, index: int) -> Candidate:  # type: ignore[override]
            nonlocal visited
            visited += 1
            return super().__getitem__(index)

    fryer = CountingList(candidates(FRYER, *[-1000.0 - i for i in range(n_blocked)]))
    plan = plan_pass(
        {FRYER: fryer, GRILL: candidates(GRILL, 0)}, {**SLOTS, "fryer": 0}, [cook("A")], W
    )
    assert len(plan.assignments) == 1
    assert visited <= 2  # the head of the blocked group only, however long it is
