"""Allocation policies the simulator compares, as ``Planner`` plug-ins for Kitchen.allocate.

- ``ours``: the kitchen's own pass (per-(counter, machine) group heads, no head-of-line
  blocking); one pass places everything placeable.
- ``original``: the older system's pass: pop the top 20 ready tasks by aged priority across
  the whole queue, try each once in that order, leave the failures queued. Tasks behind 20
  blocked ones wait even when their resources are idle (head-of-line blocking). Passes
  repeat while they place something (as ``allocate_now`` does), so the only handicap
  modelled is the 20-entry window, not a slower trigger.
- ``fifo``: ready-time order, priorities ignored, first fit (a blocked task does not stop the
  ones behind it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from kangaroo_paw.application.tasks import Planner
from kangaroo_paw.domain.allocation import (
    COUNTER_FULL,
    MACHINE_DOWN_OR_FULL,
    NO_STAFF,
    Assignment,
    Candidate,
    CookState,
    GroupKey,
    PassPlan,
    pick_cook,
    plan_pass,
)
from kangaroo_paw.domain.scoring import Weights
from kangaroo_paw.ports.queue import ReadyQueue

POLICIES = ("ours", "original", "fifo")


@dataclass(frozen=True, slots=True)
class SimPolicy:
    """A named policy: its planner (None = the kitchen's own) and whether one pass places
    everything placeable, or passes repeat while they place something (allocate_now)."""

    name: str
    planner: Planner | None
    complete_pass: bool


class TopNPlanner:
    """The original pass: the global top ``batch`` by aged priority, each tried once."""

    def __init__(self, batch: int = 20) -> None:
        self.batch = batch

    def __call__(
        self,
        queue: ReadyQueue,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        weights: Weights,
        is_ready: Callable[[UUID], bool],
    ) -> PassPlan:
        left = dict(free)
        plan = PassPlan()
        for entry in queue.top(self.batch):
            if not is_ready(entry.task_id):
                continue
            counter, machine = entry.group
            if left.get(counter, 0) <= 0:
                plan.blocked[COUNTER_FULL] += 1
                continue
            if machine is not None and left.get(machine, 0) <= 0:
                plan.blocked[MACHINE_DOWN_OR_FULL] += 1
                continue
            cook = pick_cook(counter, cooks, weights)
            if cook is None:
                plan.blocked[NO_STAFF] += 1
                continue
            cook.active += 1
            left[counter] -= 1
            if machine is not None:
                left[machine] -= 1
            plan.assignments.append(
                Assignment(entry.task_id, cook.staff_id, cook.name, counter, machine)
            )
        return plan


class FifoPlanner:
    """First come, first served by ready time; the same group-skipping pass as ours."""

    def __call__(
        self,
        queue: ReadyQueue,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        weights: Weights,
        is_ready: Callable[[UUID], bool],
    ) -> PassPlan:
        sizes = queue.groups()
        groups: dict[GroupKey, list[Candidate]] = {}
        for gkey, size in sizes.items():
            counter, machine = gkey
            slots = sum(c.max_parallel - c.active for c in cooks if counter in c.skills)
            bound = min(free.get(counter, 0), free.get(machine, 0) if machine else slots, slots)
            # The queue keeps aged-priority order; FIFO needs the whole group re-sorted, but
            # only the first ``bound`` ready entries can be placed this pass.
            entries = sorted(queue.head(gkey, size), key=lambda e: (e.ready_at, str(e.task_id)))
            chosen: list[Candidate] = []
            for e in entries:
                if len(chosen) >= max(1, bound):
                    break
                if is_ready(e.task_id):
                    chosen.append(Candidate(e.task_id, counter, machine, e.ready_at))
            groups[gkey] = chosen
        return plan_pass(groups, free, cooks, weights, sizes)


def policy(name: str) -> SimPolicy:
    """The policy called ``name`` (one of ``POLICIES``)."""
    if name == "ours":
        return SimPolicy(name, None, complete_pass=True)
    if name == "original":
        return SimPolicy(name, TopNPlanner(20), complete_pass=False)
    if name == "fifo":
        return SimPolicy(name, FifoPlanner(), complete_pass=True)
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
