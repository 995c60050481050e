"""One allocation pass as a pure function: ready tasks + resources in, assignments out.

Ready tasks are grouped by (counter, machine, machine kind): a step names one machine, or a
kind (a pool: any machine of that kind at its counter), or neither. Every task of a group
needs exactly the same resources, and resources only shrink during a pass, so when the head of
a group cannot be placed no task behind it can either: the pass drops the whole group and
moves on. A pool's head is blocked only when every machine of the pool is down or full. The
cost of a pass is therefore O((assigned + groups) · (log groups + p)), p the size of the
largest pool (a handful of machines), whatever the number of blocked tasks, and a blocked
group never holds up another (no head-of-line blocking).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from kangaroo_paw.domain.scoring import SortKey, Weights, staff_score

# (counter, machine, machine kind): at most one of the last two is set.
GroupKey = tuple[str, str | None, str | None]
PoolKey = tuple[str, str]  # (counter, machine kind)
Pools = Mapping[PoolKey, Sequence[str]]  # the machine names of each pool

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
    machine_kind: str | None = None

    @property
    def group(self) -> GroupKey:
        return (self.counter, self.machine, self.machine_kind)


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
    """``machine``: the step's own machine, or the pool machine chosen for it."""

    task_id: UUID
    staff_id: UUID
    staff_name: str
    counter: str
    machine: str | None


@dataclass(slots=True)
class PassPlan:
    assignments: list[Assignment] = field(default_factory=list)
    blocked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BLOCK_REASONS, 0))


def pools_of(machines: Mapping[str, tuple[str, str]]) -> dict[PoolKey, list[str]]:
    """The pools of the kitchen from machine name → (counter, kind), names sorted."""
    pools: dict[PoolKey, list[str]] = {}
    for name in sorted(machines):
        pools.setdefault(machines[name], []).append(name)
    return pools


def pool_machine(
    counter: str, kind: str, free: Mapping[str, int], pools: Pools | None
) -> str | None:
    """The machine of pool (counter, kind) that takes the next task: the most free slots,
    ties by name (deterministic, and it spreads work over the pool); None when every machine
    of the pool is down or full."""
    best: tuple[int, str] | None = None
    for name in (pools or {}).get((counter, kind), ()):
        slots = free.get(name, 0)
        if slots > 0 and (best is None or (-slots, name) < (-best[0], best[1])):
            best = (slots, name)
    return None if best is None else best[1]


def machine_slots(group: GroupKey, free: Mapping[str, int], pools: Pools | None) -> int | None:
    """Free machine slots for ``group``: its machine's, its pool's total, None if it needs
    no machine."""
    counter, machine, kind = group
    if machine is not None:
        return free.get(machine, 0)
    if kind is not None:
        return sum(max(0, free.get(m, 0)) for m in (pools or {}).get((counter, kind), ()))
    return None


def placeable(
    group: GroupKey,
    free: Mapping[str, int],
    cooks: Sequence[CookState],
    pools: Pools | None = None,
) -> int:
    """How many tasks of ``group`` a pass could place at most: the free slots of its counter,
    of its machine (or pool), and of the cooks with the counter's skill."""
    counter = group[0]
    slots = sum(c.max_parallel - c.active for c in cooks if counter in c.skills)
    on_machines = machine_slots(group, free, pools)
    return min(free.get(counter, 0), slots if on_machines is None else on_machines, slots)


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
    pools: Pools | None = None,
) -> PassPlan:
    """Choose assignments for one pass.

    ``groups`` holds each group's candidates in pick order (a prefix of the group is enough);
    ``free_slots`` maps every counter and machine name to its open slots (0 when a machine is
    down or unknown); ``group_sizes`` (full queue length per group) makes the blocked counts
    exact even when only a prefix was fetched; ``pools`` lists the machines of each
    (counter, kind) for the pool groups (a pool without machines places nothing).
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
        counter, machine, kind = gkey
        reason = _block_reason(gkey, free, cooks, weights, pools)
        size = (group_sizes or {}).get(gkey, len(groups[gkey]))
        if reason is not None:
            plan.blocked[reason] += max(0, size - consumed.get(gkey, 0))
            continue
        candidate = groups[gkey][index]
        cook = pick_cook(counter, cooks, weights)
        assert cook is not None  # _block_reason checked
        target = machine if kind is None else pool_machine(counter, kind, free, pools)
        cook.active += 1
        free[counter] -= 1
        if target is not None:
            free[target] -= 1
        consumed[gkey] = consumed.get(gkey, 0) + 1
        plan.assignments.append(
            Assignment(candidate.task_id, cook.staff_id, cook.name, counter, target)
        )
        nxt = index + 1
        if nxt < len(groups[gkey]):
            item = groups[gkey][nxt]
            heapq.heappush(heap, (item.key, str(item.task_id), nxt, gkey))
        elif size > consumed[gkey]:
            # Only a prefix was fetched: classify the rest by what blocks them now.
            later = _block_reason(gkey, free, cooks, weights, pools)
            if later is not None:
                plan.blocked[later] += size - consumed[gkey]
    return plan


def _block_reason(
    group: GroupKey,
    free: Mapping[str, int],
    cooks: Sequence[CookState],
    weights: Weights,
    pools: Pools | None,
) -> str | None:
    counter, machine, kind = group
    if free.get(counter, 0) <= 0:
        return COUNTER_FULL
    if machine is not None and free.get(machine, 0) <= 0:
        return MACHINE_DOWN_OR_FULL
    if kind is not None and pool_machine(counter, kind, free, pools) is None:
        return MACHINE_DOWN_OR_FULL
    if pick_cook(counter, cooks, weights) is None:
        return NO_STAFF
    return None
