"""One allocation pass as a pure function: ready tasks + resources in, assignments out.

Ready tasks are grouped by (counter, machine). Every task of a group needs exactly the same
resources, and resources only shrink during a pass, so when the head of a group cannot be
placed no task behind it can either: the pass drops the whole group and moves on. The cost of
a pass is therefore O((assigned + groups) · log groups), whatever the number of blocked tasks,
and a blocked group never holds up another (no head-of-line blocking).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from kangaroo_paw.domain.scoring import SortKey, Weights, staff_score

GroupKey = tuple[str, str | None]  # (counter, machine)

NO_STAFF = "no_staff"
COUNTER_FULL = "counter_full"
MACHINE_DOWN_OR_FULL = "machine_down_or_full"
BLOCK_REASONS = (NO_STAFF, COUNTER_FULL, MACHINE_DOWN_OR_FULL)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ready task as the allocator sees it; ``key`` ascending is pick order."""

    task_id: UUID
    counter: str
    machine: str | None
    key: SortKey


@dataclass(slots=True)
class CookState:
    """What the pick score needs to know about one cook, mutated as the pass assigns."""

    staff_id: UUID
    name: str
    skills: frozenset[str]
    active: int
    max_parallel: int
    utilization: float
    efficiency: float
    available: bool  # on shift and not on break


@dataclass(frozen=True, slots=True)
class Assignment:
    task_id: UUID
    staff_id: UUID
    staff_name: str
    counter: str
    machine: str | None


@dataclass(slots=True)
class PassPlan:
    assignments: list[Assignment] = field(default_factory=list)
    blocked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BLOCK_REASONS, 0))


def placeable(group: GroupKey, free: Mapping[str, int], cooks: Sequence[CookState]) -> int:
    """How many tasks of ``group`` a pass could place at most: the free slots of its counter,
    of its machine, and of the cooks with the counter's skill."""
    counter, machine = group
    slots = sum(c.max_parallel - c.active for c in cooks if counter in c.skills)
    return min(free.get(counter, 0), free.get(machine, 0) if machine else slots, slots)


def pick_cook(counter: str, cooks: Sequence[CookState], weights: Weights) -> CookState | None:
    """Lowest score among eligible cooks; ties broken by staff id (deterministic)."""
    best: tuple[float, str, CookState] | None = None
    for cook in cooks:
        if not cook.available or counter not in cook.skills or cook.active >= cook.max_parallel:
            continue
        score = staff_score(cook.active, cook.utilization, cook.efficiency, weights)
        candidate = (score, str(cook.staff_id), cook)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return None if best is None else best[2]


def plan_pass(
    groups: Mapping[GroupKey, Sequence[Candidate]],
    free_slots: Mapping[str, int],
    cooks: Sequence[CookState],
    weights: Weights,
    group_sizes: Mapping[GroupKey, int] | None = None,
    max_assignments: int | None = None,
) -> PassPlan:
    """Choose assignments for one pass.

    ``groups`` holds each group's candidates in pick order (a prefix of the group is enough);
    ``free_slots`` maps every counter and machine name to its open slots (0 when a machine is
    down or unknown); ``group_sizes`` (full queue length per group) makes the blocked counts
    exact even when only a prefix was fetched.
    """
    free = dict(free_slots)
    plan = PassPlan()
    heap: list[tuple[SortKey, str, int, GroupKey]] = []
    for gkey, items in groups.items():
        if items:
            heap.append((items[0].key, str(items[0].task_id), 0, gkey))
    heapq.heapify(heap)
    consumed: dict[GroupKey, int] = {}
    while heap:
        if max_assignments is not None and len(plan.assignments) >= max_assignments:
            break
        _, _, index, gkey = heapq.heappop(heap)
        counter, machine = gkey
        reason = _block_reason(counter, machine, free, cooks, weights)
        size = (group_sizes or {}).get(gkey, len(groups[gkey]))
        if reason is not None:
            plan.blocked[reason] += max(0, size - consumed.get(gkey, 0))
            continue
        candidate = groups[gkey][index]
        cook = pick_cook(counter, cooks, weights)
        assert cook is not None  # _block_reason checked
        cook.active += 1
        free[counter] -= 1
        if machine is not None:
            free[machine] -= 1
        consumed[gkey] = consumed.get(gkey, 0) + 1
        plan.assignments.append(
            Assignment(candidate.task_id, cook.staff_id, cook.name, counter, machine)
        )
        nxt = index + 1
        if nxt < len(groups[gkey]):
            item = groups[gkey][nxt]
            heapq.heappush(heap, (item.key, str(item.task_id), nxt, gkey))
        elif size > consumed[gkey]:
            # Only a prefix was fetched: classify the rest by what blocks them now.
            later = _block_reason(counter, machine, free, cooks, weights)
            if later is not None:
                plan.blocked[later] += size - consumed[gkey]
    return plan


def _block_reason(
    counter: str,
    machine: str | None,
    free: Mapping[str, int],
    cooks: Sequence[CookState],
    weights: Weights,
) -> str | None:
    if free.get(counter, 0) <= 0:
        return COUNTER_FULL
    if machine is not None and free.get(machine, 0) <= 0:
        return MACHINE_DOWN_OR_FULL
    if pick_cook(counter, cooks, weights) is None:
        return NO_STAFF
    return None
