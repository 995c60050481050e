"""Allocation policies the simulator compares, as ``Planner`` plug-ins for Kitchen.allocate.

- ``ours``: the kitchen's own pass (order-age-first key, per-(counter, machine, kind) group heads,
  no head-of-line blocking); one pass places everything placeable.
- ``age``: the production key before the order's critical path joined it (confirm time minus
  rush credit only) in the same pass, for comparison.
- ``v1``: the first version's key, ``-(priority - aging * ready_at)`` (per-step base priority
  plus rush and requeue boosts, aged from the task's own ready time), in the same
  group-skipping pass: what ``ours`` was before order-age-first.
- ``original``: the older system's pass: the top 20 ready tasks by the v1 aged priority across
  the whole queue, each tried once in that order, the failures left queued. Tasks behind 20
  blocked ones wait even when their resources are idle (head-of-line blocking). Passes
  repeat while they place something (as ``allocate_now`` does), so the only handicap
  modelled is the 20-entry window, not a slower trigger.
- ``fifo``: ready-time order, priorities ignored, the same group-skipping pass.
- ``srpt``: shortest remaining critical path of the task's order first (estimates, less what
  started tasks already ran), ties by order age, then the task's longer remaining path.
- ``lst``: least slack first: latest start time = order confirm time + the order's critical
  path - the task's remaining path; ties by order age.

Experiments (not in ``POLICIES``, measured in docs/scheduling.md "tried and not kept"):
``tilt:<cp>:<slack>`` (``tilted_key``), ``machines-first`` (the production key, but in a pass
every machine step is placed before any step without one) and ``bottleneck:<ratio>`` (the
production key, but in a pass the steps of the machine group with the most ready tasks at that
moment are placed first when that backlog is at least ``ratio`` times any other machine
group's: a dynamic bottleneck rule; ``bottleneck:1`` always feeds the longest backlog).

Rush is ignored by fifo, srpt and lst (they are dispatch baselines, not production rules).
Every re-sorting policy reads the whole queue each pass: the simulated queue is small.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from kangaroo_paw.application.policy import Policy
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
    Pools,
    pick_cook,
    placeable,
    plan_pass,
    pool_machine,
)
from kangaroo_paw.domain.scoring import ORDER_PATH_WEIGHT, Weights, v1_queue_key
from kangaroo_paw.ports.queue import QueueEntry, ReadyQueue
from kangaroo_paw.simulation.orderbook import OrderBook

POLICIES = ("ours", "age", "v1", "original", "fifo", "srpt", "lst")
V1_AGING_FACTOR = Policy().aging_factor

# A policy's own order of ready tasks: ascending is pick first.
EntryKey = Callable[[QueueEntry], tuple[Any, ...]]
# Which ready tasks a pass places before the others, given the ready count per group.
Front = Callable[[Mapping[GroupKey, int]], Callable[[QueueEntry], bool]]


@dataclass(frozen=True, slots=True)
class SimPolicy:
    """A named policy: its planner (None = the kitchen's own) and whether one pass places
    everything placeable, or passes repeat while they place something (allocate_now)."""

    name: str
    planner: Planner | None
    complete_pass: bool


def v1_key(aging_factor: float = V1_AGING_FACTOR) -> EntryKey:
    """The first version's aged-priority key."""
    return lambda e: (v1_queue_key(e.priority, e.ready_at, aging_factor),)


class SortedPlanner:
    """Our group-skipping pass (``plan_pass``) over the ready queue re-sorted by ``key``."""

    def __init__(self, key: EntryKey, front: Front | None = None) -> None:
        self.key = key
        self.front = front

    def __call__(
        self,
        queue: ReadyQueue,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        weights: Weights,
        is_ready: Callable[[UUID], bool],
        pools: Pools | None = None,
    ) -> PassPlan:
        sizes = queue.groups()
        ordered = _resorted(queue, self.key)
        first = self.front(sizes) if self.front is not None else None
        room = {g: max(1, placeable(g, free, cooks, pools)) for g in sizes}
        groups: dict[GroupKey, list[Candidate]] = {g: [] for g in sizes}
        for rank, entry in enumerate(ordered):
            chosen = groups[entry.group]
            # Only the first ``room`` ready entries of a group can be placed this pass.
            if len(chosen) < room[entry.group] and is_ready(entry.task_id):
                # The rank across the whole queue is the key: plan_pass compares groups by it.
                # A front (an experiment) puts its steps before all others, in key order.
                offset = len(ordered) if first is not None and not first(entry) else 0
                key = (float(rank + offset), str(entry.task_id))
                chosen.append(
                    Candidate(entry.task_id, entry.counter, entry.machine, key, entry.machine_kind)
                )
        return plan_pass(groups, free, cooks, weights, sizes, pools=pools)


def _on_machine(entry: QueueEntry) -> bool:
    return entry.machine is not None or entry.machine_kind is not None


def machines_front(sizes: Mapping[GroupKey, int]) -> Callable[[QueueEntry], bool]:
    """Every machine step before any step without one, so cooks short for both keep the
    machines (where the bottleneck is) busy."""
    return _on_machine


def bottleneck_front(ratio: float) -> Front:
    """The steps of the machine group(s) with the most ready tasks now (the bottleneck of the
    moment, judged by its backlog: a count of tasks, not of seconds or slots), when that
    backlog is at least ``ratio`` times the longest of every other machine group."""

    def front(sizes: Mapping[GroupKey, int]) -> Callable[[QueueEntry], bool]:
        backlog = {g: n for g, n in sizes.items() if g[1] is not None or g[2] is not None}
        most = max(backlog.values(), default=0)
        busiest = {g for g, n in backlog.items() if n == most and n > 0}
        runner_up = max((n for n in backlog.values() if n < most), default=0)
        if most < ratio * runner_up:
            busiest = set()
        return lambda entry: entry.group in busiest

    return front


def _resorted(queue: ReadyQueue, key: EntryKey) -> list[QueueEntry]:
    """The whole queue in a policy's own order (ties by task id)."""
    return sorted(queue.top(queue.size()), key=lambda e: (*key(e), str(e.task_id)))


class TopNPlanner:
    """The original pass: the global top ``batch`` by the v1 aged priority, each tried once.

    ``resort=False`` takes the queue's own top instead (no sort): the cost of the original
    pass over a queue kept in its key, for the allocation benchmark; the order then is ours.
    """

    def __init__(
        self, batch: int = 20, aging_factor: float = V1_AGING_FACTOR, *, resort: bool = True
    ) -> None:
        self.batch = batch
        self.key = v1_key(aging_factor)
        self.resort = resort

    def __call__(
        self,
        queue: ReadyQueue,
        free: Mapping[str, int],
        cooks: Sequence[CookState],
        weights: Weights,
        is_ready: Callable[[UUID], bool],
        pools: Pools | None = None,
    ) -> PassPlan:
        left = dict(free)
        plan = PassPlan()
        # The queue is kept in the new order: the v1 top needs a sort (unless told not to).
        top = _resorted(queue, self.key) if self.resort else queue.top(self.batch)
        ordered = top[: self.batch]
        for entry in ordered:
            if not is_ready(entry.task_id):
                continue
            counter, machine, kind = entry.group
            if left.get(counter, 0) <= 0:
                plan.blocked[COUNTER_FULL] += 1
                continue
            if kind is not None:
                machine = pool_machine(counter, kind, left, pools)
                if machine is None:
                    plan.blocked[MACHINE_DOWN_OR_FULL] += 1
                    continue
            elif machine is not None and left.get(machine, 0) <= 0:
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


def fifo_key(entry: QueueEntry) -> tuple[Any, ...]:
    return (entry.ready_at,)


def srpt_key(book: OrderBook) -> EntryKey:
    """Shortest remaining order path first, then the older order, then the longer branch."""

    def key(entry: QueueEntry) -> tuple[Any, ...]:
        task = book.tasks[entry.task_id]
        order = book.orders[task.order_id]
        return (book.remaining_secs(task.order_id), order.confirmed_at, -task.tail_secs)

    return key


def lst_key(book: OrderBook) -> EntryKey:
    """Latest start time first (least slack), then the older order."""

    def key(entry: QueueEntry) -> tuple[Any, ...]:
        return (book.latest_start(entry.task_id), book.order_of(entry.task_id).confirmed_at)

    return key


def tilted_key(book: OrderBook, cp_weight: float, slack_weight: float) -> EntryKey:
    """The ``age`` key (confirm time - rush credit; the production key before the order's
    path joined it) tilted by the order's shape: + ``cp_weight`` * the order's critical path
    + ``slack_weight`` * the task's slack (critical path - its remaining path), all fixed at
    confirm, so still a time-invariant key. ``tilt:0.001:0`` is the production key."""

    def key(entry: QueueEntry) -> tuple[Any, ...]:
        task = book.tasks[entry.task_id]
        path = book.orders[task.order_id].critical_path_secs
        # Rounded to 0.1 ms so that float error cannot reorder orders confirmed together.
        age = round(entry.score - ORDER_PATH_WEIGHT * path, 4)
        return (age + cp_weight * path + slack_weight * (path - task.tail_secs), entry.rank)

    return key


_TILTED = re.compile(r"^tilt:(?P<cp>[0-9.]+):(?P<slack>[0-9.]+)$")
_BOTTLENECK = re.compile(r"^bottleneck:(?P<ratio>[0-9.]+)$")


def _book_key(name: str, book: OrderBook) -> EntryKey | None:
    """The key of a policy that ranks a task by its order (None: not such a policy)."""
    tilted = _TILTED.match(name)
    if tilted is not None:
        return tilted_key(book, float(tilted["cp"]), float(tilted["slack"]))
    keys = {"age": lambda: tilted_key(book, 0.0, 0.0), "srpt": lambda: srpt_key(book)}
    keys["lst"] = lambda: lst_key(book)
    return keys[name]() if name in keys else None


def policy(
    name: str, book: OrderBook | None = None, aging_factor: float = V1_AGING_FACTOR
) -> SimPolicy:
    """The policy called ``name`` (one of ``POLICIES``, or an experiment: ``machines-first``,
    ``bottleneck:<ratio>``, see ``bottleneck_front``, ``tilt:<cp weight>:<slack weight>``, see
    ``tilted_key``); age, srpt, lst and tilt read ``book``."""
    if name == "ours":
        return SimPolicy(name, None, complete_pass=True)
    if name == "v1":
        return SimPolicy(name, SortedPlanner(v1_key(aging_factor)), complete_pass=True)
    if name == "original":
        return SimPolicy(name, TopNPlanner(20, aging_factor), complete_pass=False)
    if name == "fifo":
        return SimPolicy(name, SortedPlanner(fifo_key), complete_pass=True)
    bottleneck = _BOTTLENECK.match(name)
    if name == "machines-first" or bottleneck is not None:
        front = bottleneck_front(float(bottleneck["ratio"])) if bottleneck else machines_front
        return SimPolicy(name, SortedPlanner(lambda e: e.key, front), complete_pass=True)
    if name in ("age", "srpt", "lst") or _TILTED.match(name):
        if book is None:
            raise ValueError(f"policy {name!r} needs the order book")
        by_order = _book_key(name, book)
        assert by_order is not None
        return SimPolicy(name, SortedPlanner(by_order), complete_pass=True)
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
