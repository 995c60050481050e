"""When would this work be done? A forward simulation of the kitchen from a snapshot of it.

The forecast plays the allocator forward in time: tasks in progress finish after their
remaining time, ready and waiting tasks are placed pass by pass as ``plan_pass`` places them
(the same picks, planned inline: the pass is the hot loop of every promise) in dispatch key
order (the production order-age-first key), and every new assignment starts after a reaction
delay and then takes exactly its recipe estimate. A cook's slot and the stations are
held from assignment to completion, as in the kitchen. Passes run only at instants when
something changed (a completion, a requeue, a cook coming or going), with every event of that
instant applied first. Times are seconds after the snapshot. Pure and deterministic: the same
snapshot and parameters give the same answer.

What it does not know is assumed away: a machine that is down comes back when the snapshot
expects it (``back_in_secs``, else never), a cook on break is away until ``available_from``,
durations are the estimates (actual times are noisy around them), and nothing else arrives.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from kangaroo_paw.domain.allocation import (
    CookState,
    GroupKey,
    machine_slots,
    pool_machine,
    pools_of,
)
from kangaroo_paw.domain.scoring import SortKey, Weights, updated_efficiency


class Phase(StrEnum):
    """Where an open task stands."""

    WAITING = "WAITING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    STARTED = "STARTED"


@dataclass(frozen=True, slots=True)
class OpenTask:
    """An unfinished task as the forecast sees it."""

    task_id: UUID
    key: SortKey  # the dispatch key: ascending is pick order
    counter: str
    machine: str | None  # the step's machine; for an ASSIGNED or STARTED task, the one it holds
    estimate_secs: float
    phase: Phase
    depends_on: tuple[UUID, ...] = ()
    dependents: tuple[UUID, ...] = ()
    staff_id: UUID | None = None  # the cook holding an ASSIGNED or STARTED task
    since_secs: float = 0.0  # how long ago it was assigned (ASSIGNED) or started (STARTED)
    machine_kind: str | None = None  # a pool step: any machine of this kind at the counter

    @property
    def group(self) -> GroupKey:
        """The ready-queue group it waits in (a pool step's, whatever machine it held)."""
        if self.machine_kind is not None:
            return (self.counter, None, self.machine_kind)
        return (self.counter, self.machine, None)


@dataclass(frozen=True, slots=True)
class Cook:
    """A cook and when they can take new work (``available_from <= t < available_until``)."""

    staff_id: UUID
    name: str
    skills: frozenset[str]
    max_parallel: int
    efficiency: float
    active_secs: float = 0.0  # worked so far this shift (the utilization numerator)
    shift_elapsed_secs: float = 0.0  # since the shift started; negative if it starts later
    available_from: float = 0.0
    available_until: float = math.inf
    on_break: bool = False  # an ASSIGNED task of a cook on break is not started


@dataclass(frozen=True, slots=True)
class StationSlots:
    """A counter or a machine: its capacity, and whether it takes new work."""

    name: str
    capacity: int
    up: bool = True
    back_in_secs: float = math.inf  # a down station: when it is expected to take work again
    counter: str | None = None  # a machine's counter and kind (its pool)
    machine_kind: str | None = None


@dataclass(frozen=True, slots=True)
class KitchenSnapshot:
    """Everything open in the kitchen at one instant."""

    tasks: Sequence[OpenTask]
    cooks: Sequence[Cook]
    stations: Sequence[StationSlots]


@dataclass(frozen=True, slots=True)
class ForecastParams:
    """Assumptions and bounds of the simulation."""

    reaction_secs: float = 5.0  # from assignment to start
    horizon_secs: float = 4 * 3600.0  # the answer when the work cannot finish
    min_remaining_secs: float = 1.0  # a STARTED task past its estimate still needs this
    assignment_ttl_secs: float = 45.0  # an ASSIGNED task not started by then is requeued
    weights: Weights = field(default_factory=Weights)
    efficiency_min: float = 0.25
    efficiency_max: float = 4.0
    max_events: int = 20_000  # caps the work of one forecast (well under a second)


@dataclass(frozen=True, slots=True)
class Forecast:
    """``ready_secs``: when the last target completes; ``complete`` is False when that is
    beyond the horizon (or never) and ``ready_secs`` is then the horizon itself.
    ``finishes``: when each target completed (finish-together pacing releases by them); a
    target missing from it did not finish within the horizon."""

    ready_secs: float
    complete: bool
    passes: int
    events: int
    finishes: Mapping[UUID, float] = field(default_factory=dict)


def forecast(
    snapshot: KitchenSnapshot, targets: Collection[UUID], params: ForecastParams | None = None
) -> Forecast:
    """Simulate forward until every task of ``targets`` (ids of snapshot tasks) completes.

    A target that no cook or station will ever serve (no eligible cook, a machine down, a
    cook on an endless break) cannot complete: the simulation then stops at the horizon (or as
    soon as nothing is left to happen) and returns the horizon with ``complete=False``.
    """
    return _Run(snapshot, targets, params or ForecastParams()).run()


_DONE, _REQUEUE, _WAKE, _UP = 0, 1, 2, 3


class _Run:
    """The mutable state of one forecast; resources are counted as ``plan_pass`` counts them."""

    def __init__(
        self, snapshot: KitchenSnapshot, targets: Collection[UUID], params: ForecastParams
    ) -> None:
        self.p = params
        # In key order, so that the snapshot's own order cannot change the answer.
        self.tasks = sorted(snapshot.tasks, key=lambda t: t.key)
        self.index = {t.task_id: i for i, t in enumerate(self.tasks)}
        self.left = {self.index[t] for t in targets if t in self.index}
        # The pick order's tie-break (as plan_pass breaks it), formatted once per run, not per pass.
        self.sid = [str(t.task_id) for t in self.tasks]
        self.on = [t.machine for t in self.tasks]  # the machine each task holds when active
        self.children = [
            [self.index[c] for c in t.dependents if c in self.index] for t in self.tasks
        ]
        # Only a WAITING task waits, and only for open tasks (done ones are already counted).
        self.pending = [
            sum(d in self.index for d in t.depends_on) if t.phase == Phase.WAITING else 0
            for t in self.tasks
        ]
        self.plans = sorted(snapshot.cooks, key=lambda c: str(c.staff_id))
        self.cooks = [
            CookState(c.staff_id, c.name, c.skills, 0, c.max_parallel, 0.0, c.efficiency, False)
            for c in self.plans
        ]
        self.worked = [c.active_secs for c in self.plans]
        self.cook_at = {c.staff_id: k for k, c in enumerate(self.plans)}
        self.cook_sid = [str(c.staff_id) for c in self.plans]
        # A down (or unknown) station has no slots: releases bring it back to zero, not above.
        self.free = {s.name: s.capacity if s.up else 0 for s in snapshot.stations}
        self.down = {s.name for s in snapshot.stations if not s.up}
        self.stations = list(snapshot.stations)
        self.pools = pools_of(
            {
                s.name: (s.counter, s.machine_kind)
                for s in snapshot.stations
                if s.counter is not None and s.machine_kind is not None
            }
        )
        self.groups: dict[GroupKey, list[tuple[SortKey, int]]] = {}
        self.ready = 0
        self.holder = [-1] * len(self.tasks)
        self.started = [0.0] * len(self.tasks)
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.finish = 0.0
        self.finishes: dict[UUID, float] = {}
        self.passes = 0

    def run(self) -> Forecast:
        if not self.left:
            return Forecast(0.0, True, 0, 0)
        self._load()
        self._pass(0.0)
        events = 0
        heap, horizon, limit = self.heap, self.p.horizon_secs, self.p.max_events
        while self.left:
            if not heap or heap[0][0] > horizon:
                break  # nothing more will happen, or not in time
            now = heap[0][0]
            while heap and heap[0][0] <= now:  # every event of this instant, then one pass
                _, _, kind, i = heapq.heappop(heap)
                self._apply(kind, i, now)
                events += 1
            if events > limit:
                break
            if self.ready:
                self._pass(now)
        if self.left:
            return Forecast(self.p.horizon_secs, False, self.passes, events, self.finishes)
        return Forecast(self.finish, True, self.passes, events, self.finishes)

    # -- setup ---------------------------------------------------------------------------------

    def _load(self) -> None:
        p = self.p
        for i, task in enumerate(self.tasks):
            if task.phase in (Phase.ASSIGNED, Phase.STARTED):
                self._hold(i, self.cook_at.get(task.staff_id) if task.staff_id else None)
            if task.phase == Phase.STARTED:
                self.started[i] = -task.since_secs
                remaining = max(p.min_remaining_secs, task.estimate_secs - task.since_secs)
                self._push(remaining, _DONE, i)
            elif task.phase == Phase.ASSIGNED:
                if self._will_start(task):
                    self.started[i] = p.reaction_secs
                    self._push(p.reaction_secs + task.estimate_secs, _DONE, i)
                else:  # the stale sweep gives it back to the queue, keeping its key
                    self._push(max(0.0, p.assignment_ttl_secs - task.since_secs), _REQUEUE, i)
            elif self.pending[i] == 0:  # READY, or WAITING for nothing still open
                self._enqueue(i)
        for cook in self.plans:
            for at in (cook.available_from, cook.available_until):
                if 0.0 < at <= p.horizon_secs:
                    self._push(at, _WAKE, -1)
        for n, station in enumerate(self.stations):
            if not station.up and station.back_in_secs <= p.horizon_secs:
                self._push(max(0.0, station.back_in_secs), _UP, n)

    def _will_start(self, task: OpenTask) -> bool:
        """Whether the holder of an ASSIGNED task starts it (else the TTL requeues it)."""
        if task.since_secs >= self.p.assignment_ttl_secs or task.machine in self.down:
            return False
        k = self.cook_at.get(task.staff_id) if task.staff_id else None
        return k is not None and not self.plans[k].on_break

    # -- events --------------------------------------------------------------------------------

    def _push(self, at: float, kind: int, i: int) -> None:
        heapq.heappush(self.heap, (at, self.seq, kind, i))
        self.seq += 1

    def _apply(self, kind: int, i: int, now: float) -> None:
        if kind == _DONE:
            self._release(i, now, finished=True)
            if i in self.left:
                self.left.discard(i)
                self.finish = max(self.finish, now)
                self.finishes[self.tasks[i].task_id] = now
            pending = self.pending
            for j in self.children[i]:
                if pending[j] > 0:
                    pending[j] -= 1
                    if pending[j] == 0:
                        self._enqueue(j)
        elif kind == _REQUEUE:
            self._release(i, now, finished=False)
            self._enqueue(i)
        elif kind == _UP:  # its slots open (less what work in progress still holds)
            station = self.stations[i]
            if station.name in self.down:
                self.down.discard(station.name)
                self.free[station.name] = self.free.get(station.name, 0) + station.capacity

    def _enqueue(self, i: int) -> None:
        task = self.tasks[i]
        queue = self.groups.setdefault(task.group, [])
        bisect.insort(queue, (task.key, i))
        self.ready += 1

    def _hold(self, i: int, cook: int | None) -> None:
        task, free, machine = self.tasks[i], self.free, self.on[i]
        free[task.counter] = free.get(task.counter, 0) - 1
        if machine is not None:
            free[machine] = free.get(machine, 0) - 1
        if cook is not None:
            self.cooks[cook].active += 1
            self.holder[i] = cook

    def _release(self, i: int, now: float, *, finished: bool) -> None:
        task, free, machine = self.tasks[i], self.free, self.on[i]
        free[task.counter] += 1
        if machine is not None:
            free[machine] += 1
        if task.machine_kind is not None:
            self.on[i] = None  # back in its pool: any machine of the kind may take it next
        k, self.holder[i] = self.holder[i], -1
        if k < 0:
            return
        cook = self.cooks[k]
        cook.active -= 1
        if finished:  # the cook's record moves as Staff.finish moves it
            actual = now - self.started[i]
            self.worked[k] += actual
            cook.efficiency = updated_efficiency(
                cook.efficiency,
                task.estimate_secs,
                actual,
                self.p.efficiency_min,
                self.p.efficiency_max,
            )

    # -- allocation ----------------------------------------------------------------------------

    def _pass(self, now: float) -> None:
        """One allocation pass as the kitchen runs it: each group's placeable prefix."""
        spare = self._spare_slots(now)
        free = self.free
        bounds: list[tuple[GroupKey, int]] = []
        for gkey, queue in self.groups.items():
            # Nothing past this many can be placed now, so the prefix decides the pass.
            bound = spare.get(gkey[0], 0)
            if bound <= 0:
                continue
            bound = min(bound, len(queue), free.get(gkey[0], 0))
            on_machines = machine_slots(gkey, free, self.pools)
            if on_machines is not None:
                bound = min(bound, on_machines)
            if bound > 0:
                bounds.append((gkey, bound))
        if bounds:
            self._place(bounds, now)

    def _place(self, bounds: list[tuple[GroupKey, int]], now: float) -> None:
        """``plan_pass`` over the groups' prefixes, specialised to the forecast (the hot loop):
        the same picks in the same order (group heads by (key, task id); cooks by (score,
        staff id)), applied as they are made, without the candidate and plan objects."""
        self.passes += 1
        # Only cooks who can take work now: plan_pass would skip the others anyway.
        cooks: list[int] = []
        for k, state in enumerate(self.cooks):
            if state.available and state.active < state.max_parallel:
                elapsed = self.plans[k].shift_elapsed_secs + now
                state.utilization = self.worked[k] / max(1.0, elapsed)
                cooks.append(k)
        tasks, sid, free, pools, groups = self.tasks, self.sid, self.free, self.pools, self.groups
        heap: list[tuple[SortKey, str, int, GroupKey]] = []
        for gkey, _ in bounds:
            i = groups[gkey][0][1]
            heap.append((tasks[i].key, sid[i], 0, gkey))
        heapq.heapify(heap)
        limit = dict(bounds)
        taken: dict[GroupKey, int] = {}
        start = now + self.p.reaction_secs
        while heap:
            _, _, index, gkey = heapq.heappop(heap)
            counter, machine, kind = gkey
            k = self._blocked_or_cook(gkey, cooks)
            if k < 0:
                continue
            target = machine if kind is None else pool_machine(counter, kind, free, pools)
            free[counter] -= 1
            if target is not None:
                free[target] -= 1
            queue = groups[gkey]
            i = queue[index][1]
            self.cooks[k].active += 1
            self.holder[i] = k
            self.on[i] = target
            self.started[i] = start
            self._push(start + tasks[i].estimate_secs, _DONE, i)
            self.ready -= 1
            nxt = index + 1
            if nxt < limit[gkey]:
                j = queue[nxt][1]
                heapq.heappush(heap, (tasks[j].key, sid[j], nxt, gkey))
            taken[gkey] = nxt
        for gkey, count in taken.items():  # a pass takes each group's head first, one by one
            queue = groups[gkey]
            del queue[:count]
            if not queue:
                del groups[gkey]

    def _blocked_or_cook(self, gkey: GroupKey, cooks: list[int]) -> int:
        """The cook ``plan_pass`` would pick for the head of ``gkey`` now, or -1 when the
        group is blocked (its counter full, its machine or whole pool down or full, no cook)."""
        counter, machine, kind = gkey
        free = self.free
        if free.get(counter, 0) <= 0:
            return -1
        if machine is not None and free.get(machine, 0) <= 0:
            return -1
        if kind is not None and pool_machine(counter, kind, free, self.pools) is None:
            return -1
        w, states, sids = self.p.weights, self.cooks, self.cook_sid
        best = -1
        best_score = 0.0
        for k in cooks:
            cook = states[k]
            if counter not in cook.skills or cook.active >= cook.max_parallel:
                continue
            score = w.load * cook.active + w.util * cook.utilization - w.eff * cook.efficiency
            if best < 0 or (score, sids[k]) < (best_score, sids[best]):
                best, best_score = k, score
        return best

    def _spare_slots(self, now: float) -> dict[str, int]:
        """Per counter, the open slots of the cooks who can serve it at ``now``."""
        spare: dict[str, int] = {}
        for k, state in enumerate(self.cooks):
            cook = self.plans[k]
            state.available = cook.available_from <= now < cook.available_until
            room = state.max_parallel - state.active
            if state.available and room > 0:
                for skill in state.skills:
                    spare[skill] = spare.get(skill, 0) + room
        return spare
