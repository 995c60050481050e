"""What no policy can beat on one run: the facts of its workload that every policy shares
(tasks, actual durations, first reaction delays, machine outages, resource cuts) and the
per-order path bound; ``lpbound`` adds capacity on top.

Per task j: ``secs`` is its actual duration and ``delay`` = min(first reaction delay, TTL).
A task holds its counter, its machine (if any) and one cook slot from assignment to
completion. Its start comes at least ``delay`` after its first assignment (the cook's reaction;
if the assignment goes stale the task waits the whole TTL before it is requeued), and its hold,
summed over all its assignments, lasts at least ``delay + secs``. It is assigned no earlier
than its last parent completes (roots: at confirm), never while its machine is down, and
starts no earlier than that machine comes back. Running tasks are not stopped by a failure and
a cook on a break keeps what they hold, so capacity never drops below the slots in use:
failures enter only through those earliest times, breaks not at all (a weaker bound).

The path bound of an order is the longest chain of those earliest times: its critical path
with actual durations, plus the reaction delays on it, plus the outages it must wait out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING
from uuid import UUID

from kangaroo_paw.simulation.scenario import Scenario
from kangaroo_paw.simulation.workload import reaction_secs

if TYPE_CHECKING:
    from kangaroo_paw.simulation.engine import Simulation

Interval = tuple[float, float]


@dataclass(frozen=True, slots=True)
class BoundTask:
    """A task as the bounds see it (times in seconds since the start of the run)."""

    task_id: UUID
    order_id: UUID
    counter: str
    machine: str | None
    secs: float
    delay: float
    parents: tuple[int, ...]  # indexes into BoundInstance.tasks

    @property
    def hold(self) -> float:
        """The least time it holds its resources, over all its assignments."""
        return self.delay + self.secs


@dataclass(frozen=True, slots=True)
class Cut:
    """A set of tasks that share ``capacity`` slots: a counter's or a machine's tasks, or the
    tasks on ``counters`` that only the cooks skilled in one of them can take."""

    name: str
    capacity: int
    counters: frozenset[str]
    machine: str | None = None

    def holds(self, task: BoundTask) -> bool:
        if self.machine is not None:
            return task.machine == self.machine
        return task.counter in self.counters


@dataclass(frozen=True, slots=True)
class BoundInstance:
    """One run's workload as every policy faces it."""

    tasks: tuple[BoundTask, ...]
    confirmed_at: Mapping[UUID, float]
    outages: Mapping[str, tuple[Interval, ...]]  # machine → down intervals
    cuts: tuple[Cut, ...]
    horizon: float  # every completed order completed by then

    def earliest(self) -> list[tuple[float, float]]:
        """Per task: (earliest first assignment, earliest completion)."""
        times: list[tuple[float, float] | None] = [None] * len(self.tasks)

        def visit(i: int) -> tuple[float, float]:
            known = times[i]
            if known is not None:
                return known
            task = self.tasks[i]
            ready = max((visit(p)[1] for p in task.parents), default=None)
            if ready is None:
                ready = self.confirmed_at[task.order_id]
            down = self.outages.get(task.machine or "", ())
            assign = _after(ready, down)
            finish = _after(assign + task.delay, down) + task.secs
            times[i] = (assign, finish)
            return assign, finish

        return [visit(i) for i in range(len(self.tasks))]

    def path_bounds(self) -> dict[UUID, float]:
        """Per order: its earliest completion minus its confirm time."""
        done: dict[UUID, float] = dict(self.confirmed_at)
        for task, (_, finish) in zip(self.tasks, self.earliest(), strict=True):
            done[task.order_id] = max(done[task.order_id], finish)
        return {o: done[o] - at for o, at in self.confirmed_at.items()}

    def restricted(self, orders: Iterable[UUID]) -> BoundInstance:
        """The same run with only ``orders`` (dropping work only relaxes capacity)."""
        keep = set(orders)
        index: dict[int, int] = {}
        tasks: list[BoundTask] = []
        for i, task in enumerate(self.tasks):
            if task.order_id in keep:
                index[i] = len(tasks)
                parents = tuple(index[p] for p in task.parents)
                tasks.append(
                    BoundTask(
                        task.task_id,
                        task.order_id,
                        task.counter,
                        task.machine,
                        task.secs,
                        task.delay,
                        parents,
                    )
                )
        confirmed = {o: t for o, t in self.confirmed_at.items() if o in keep}
        return BoundInstance(tuple(tasks), confirmed, self.outages, self.cuts, self.horizon)


def _after(t: float, down: Sequence[Interval]) -> float:
    """``t``, or the end of the outage it falls inside (outages may chain)."""
    moved = True
    while moved:
        moved = False
        for start, end in down:
            if start < t < end:
                t, moved = end, True
    return t


def resource_cuts(scenario: Scenario) -> tuple[Cut, ...]:
    """Counters, machines and cook cuts, without the ones another cut makes redundant."""
    skilled = {c: {k.name for k in scenario.cooks if c in k.skills} for c in scenario.counters}
    slots = {k.name: k.max_parallel for k in scenario.cooks}

    def crew(counters: Iterable[str]) -> int:
        return sum(slots[k] for k in set().union(*(skilled[c] for c in counters)))

    cuts: dict[frozenset[str], Cut] = {}
    names = sorted(slots)
    for size in range(1, len(names) + 1):
        for group in combinations(names, size):
            # The counters only this group of cooks can serve share the group's slots.
            served = frozenset(c for c, who in skilled.items() if who and who <= set(group))
            if served and served not in cuts:
                label = "cooks for " + "+".join(sorted(served))
                cuts[served] = Cut(label, crew(served), served)
    result = list(cuts.values())
    for counter, capacity in scenario.counters.items():
        if skilled[counter] and capacity < crew([counter]):
            result.append(Cut(f"counter {counter}", capacity, frozenset([counter])))
    for machine, (counter, capacity) in scenario.machines.items():
        if capacity < min(scenario.counters[counter], crew([counter])):
            result.append(Cut(f"machine {machine}", capacity, frozenset([counter]), machine))
    return tuple(result)


def bound_instance(sim: Simulation) -> BoundInstance:
    """The facts of a finished (or built) run that every policy on its workload shares."""
    observed = sim.observer.tasks
    ttl = sim.kitchen.policy.assignment_ttl_secs
    seed, mean = sim.config.seed, sim.config.reaction_mean_secs
    index = {task_id: i for i, task_id in enumerate(observed)}
    tasks = tuple(
        BoundTask(
            task_id,
            info.order_id,
            info.counter,
            info.machine,
            sim.actual_secs(task_id),
            min(reaction_secs(seed, task_id, 1, mean), ttl),
            tuple(index[p] for p in info.depends_on),
        )
        for task_id, info in observed.items()
    )
    outages: dict[str, list[Interval]] = {}
    for o in sim.workload.failures:
        outages.setdefault(o.name, []).append((o.start, o.end))
    return BoundInstance(
        tasks,
        dict(sim.observer.confirmed_at),
        {m: tuple(sorted(v)) for m, v in outages.items()},
        resource_cuts(sim.scenario),
        sim.window + sim.config.overrun_minutes * 60,
    )
