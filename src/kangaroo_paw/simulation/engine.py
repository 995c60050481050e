"""The discrete-event kitchen simulator: the real Kitchen application (in-memory store, a
manual clock) driven by simulated arrivals, cooks, breaks and machine failures."""

from __future__ import annotations

import heapq
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.application.runtime import EmbeddedRuntime
from kangaroo_paw.composition import build_kitchen
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.task import TaskStatus
from kangaroo_paw.settings import Settings
from kangaroo_paw.simulation.capacity import LoadProfile, load_profile
from kangaroo_paw.simulation.config import SIM_EPOCH, Progress, SimConfig
from kangaroo_paw.simulation.metrics import Observer
from kangaroo_paw.simulation.orderbook import OrderBook
from kangaroo_paw.simulation.policies import SimPolicy, policy
from kangaroo_paw.simulation.report import SimReport
from kangaroo_paw.simulation.results import build_report
from kangaroo_paw.simulation.scenario import Scenario, seed_kitchen
from kangaroo_paw.simulation.scheduler import RELEASE, TIMEOUT, SimulatedScheduler
from kangaroo_paw.simulation.workload import (
    Workload,
    duration_secs,
    make_workload,
    reaction_secs,
)

__all__ = ["SIM_EPOCH", "Progress", "SimConfig", "Simulation", "simulate"]

MAX_PASSES = 50  # like allocate_now: passes repeat while they place something


def promise_policy(scenario: Scenario, config: SimConfig) -> Policy:
    """The kitchen's policy with the promise's expectations set to what this kitchen knows
    of itself, as an operator would set them: the mean reaction delay, break length and
    repair time (not the draws of this run)."""
    d = scenario.disruptions
    return Policy(
        promise_reaction_secs=config.reaction_mean_secs,
        promise_break_secs=d.break_minutes * 60,
        promise_repair_secs=d.machine_repair_minutes * 60,
    )


class Simulation:
    """Owns one Kitchen; ``run`` plays the workload through it and returns the report.

    At each simulated instant: handle every event due (arrivals confirm orders, cooks start
    and complete tasks, timeouts requeue, breaks and failures change the kitchen), let the
    follower catch up (ready-queue projection, reactions into the simulated scheduler, the
    observer), then run allocation passes only if a reaction asked for one.
    """

    def __init__(
        self,
        scenario: Scenario,
        config: SimConfig,
        kitchen_policy: Policy | None = None,
        workload: Workload | None = None,
    ) -> None:
        self.scenario = scenario
        self.config = config
        self.profile: LoadProfile = load_profile(scenario, config.reaction_mean_secs)
        self.rate_per_sec = self._rate()
        self.window = config.minutes * 60
        self.workload = workload or make_workload(
            scenario, config.seed, self.window, self.rate_per_sec, config.disruptions
        )
        self.clock = ManualClock(SIM_EPOCH)
        self.now = 0.0
        self.queue = InMemoryReadyQueue()
        kitchen_policy = kitchen_policy or promise_policy(scenario, config)
        if config.policy != "ours":
            # The promise forecasts the production key's schedule: under another policy it
            # would measure the wrong thing, and each forecast costs a forward simulation.
            kitchen_policy = replace(kitchen_policy, promise_on_confirm=False)
        self.kitchen = build_kitchen(
            Settings(store="memory"),
            queue=self.queue,
            read_model=InMemoryReadModel(),
            clock=self.clock,
            policy=kitchen_policy,
        )
        seed_kitchen(self.kitchen, scenario)
        self.book = OrderBook(lambda: self.now)
        self.policy: SimPolicy = policy(config.policy, self.book, self.kitchen.policy.aging_factor)
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self.scheduler = SimulatedScheduler(self._push_at)
        self.observer = Observer(lambda: self.now, self._on_assigned)
        # The embedded runtime's follower, without read model or bus, plus the simulator's
        # own sinks; what the seeding recorded is projected, not reacted to.
        self.runtime = EmbeddedRuntime(self.kitchen, self.queue, None, None, self.scheduler)
        head = self.runtime.skip_to_head()
        follower = self.runtime.follower
        self.observer.position = self.book.position = head
        follower.add_sink("observer", lambda: self.observer.position, self.observer.handle)
        follower.add_sink("orders", lambda: self.book.position, self.book.handle)
        self.runtime.drain()
        self.staff_ids = {c.name: ids.staff_id(c.name) for c in scenario.cooks}
        self.on_break: set[str] = set()
        self.machines_down: set[str] = set()
        self.deferred: dict[str, list[tuple[UUID, int]]] = defaultdict(list)  # by machine
        self.current: dict[UUID, int] = {}  # task → assignment number the cook holds
        self.bounds: dict[UUID, float] = {}
        self.promises: dict[UUID, float | None] = {}  # order → promised ticket secs
        self.open_orders: set[UUID] = set()
        self.passes = 0
        self.timeline: list[tuple[float, int, int]] = []

    def _rate(self) -> float:
        if self.config.rate_per_min is not None:
            return self.config.rate_per_min / 60
        return self.profile.rate_for(self.config.load if self.config.load is not None else 0.7)

    # -- wiring --------------------------------------------------------------------------------

    def _push(self, at: float, kind: str, payload: Any) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, payload))

    def _push_at(
        self, due: datetime, kind: str, payload: tuple[UUID, int] | tuple[UUID, datetime]
    ) -> None:
        self._push(max(self.now, (due - SIM_EPOCH).total_seconds()), kind, payload)

    def _on_assigned(self, task_id: UUID, assignment_no: int) -> None:
        """The cook sees the assignment and starts it after a reaction delay."""
        self.current[task_id] = assignment_no
        delay = reaction_secs(
            self.config.seed, task_id, assignment_no, self.config.reaction_mean_secs
        )
        self._push(self.now + delay, "start", (task_id, assignment_no))

    # -- the run -------------------------------------------------------------------------------

    def run(
        self, progress: Callable[[Progress], None] | None = None, every_secs: float = 60.0
    ) -> SimReport:
        started = time.perf_counter()
        for a in self.workload.arrivals:
            self._push(a.at, "arrive", a)
        for o in self.workload.breaks:
            self._push(o.start, "break", o)
        for o in self.workload.failures:
            self._push(o.start, "down", o)
        horizon = self.window + self.config.overrun_minutes * 60
        next_sample = 0.0
        next_progress = 0.0
        arrived = 0
        while self._heap and self._heap[0][0] <= horizon:
            if not self.open_orders and arrived == len(self.workload.arrivals):
                break  # everything served; only stray timers remain
            self._advance(self._heap[0][0])
            while self._heap and self._heap[0][0] <= self.now:
                _, _, kind, payload = heapq.heappop(self._heap)
                arrived += kind == "arrive"
                self._handlers[kind](self, payload)
            self.runtime.drain()
            if self.scheduler.take_allocation_request():
                self._allocate()
            self.open_orders.difference_update(self.observer.take_completed())
            if self.now >= next_sample:
                self.timeline.append((self.now, self.queue.size(), len(self.open_orders)))
                next_sample = self.now + self.config.sample_secs
            if progress is not None and self.now >= next_progress:
                progress(self._progress(arrived))
                next_progress = self.now + every_secs
        if progress is not None:
            progress(self._progress(arrived))
        wall = time.perf_counter() - started
        self.observer.usage.advance(self.now, self.window, self.queue.size())  # close the areas
        return build_report(self, wall)

    def _progress(self, arrived: int) -> Progress:
        done = len(self.observer.completed_at)
        return Progress(
            self.now, self.window, arrived, done, self.queue.size(), len(self.open_orders)
        )

    def _advance(self, to: float) -> None:
        self.observer.usage.advance(to, self.window, self.queue.size())
        self.now = to
        self.clock.set(SIM_EPOCH + timedelta(seconds=to))

    def _allocate(self) -> None:
        for _ in range(MAX_PASSES):
            result = self.kitchen.allocate(self.policy.planner)
            self.passes += 1
            self.runtime.drain()
            if self.policy.complete_pass or not result.assigned:
                break

    # -- what happens in the kitchen -----------------------------------------------------------

    def _arrive(self, arrival: Any) -> None:
        order, _ = self.kitchen.confirm_order(
            arrival.items, arrival.external_id, arrival.priority, pace=self.config.pace
        )
        self.open_orders.add(order.order_id)
        self.bounds[order.order_id] = self.scenario.critical_path_secs(arrival.items)
        self.promises[order.order_id] = order.promised_secs

    def _start(self, payload: tuple[UUID, int]) -> None:
        """The cook starts the assignment, unless it is void: requeued, rerouted or handed
        back since (a cook going on break hands back what they have not started, so a cook
        on break never has a start left to make)."""
        task_id, assignment_no = payload
        if self.current.get(task_id) != assignment_no:
            return
        info = self.observer.tasks[task_id]
        if info.held_machine is not None and info.held_machine in self.machines_down:
            self.deferred[info.held_machine].append((task_id, assignment_no))
            return
        self.kitchen.start_task(task_id)
        self._push(self.now + self.actual_secs(task_id), "finish", task_id)

    def actual_secs(self, task_id: UUID) -> float:
        """How long the task really takes in this run (the same under every policy)."""
        estimate = self.observer.tasks[task_id].estimate_secs
        return duration_secs(self.config.seed, task_id, estimate, self.config.duration_sigma)

    def _finish(self, task_id: UUID) -> None:
        self.current.pop(task_id, None)
        self.kitchen.complete_task(task_id)

    def _timeout(self, payload: tuple[UUID, int]) -> None:
        task_id, assignment_no = payload
        self.scheduler.fired(task_id, assignment_no)
        if self.kitchen.requeue_stale(task_id, assignment_no):
            self.current.pop(task_id, None)

    def _release(self, payload: tuple[UUID, datetime]) -> None:
        """A finish-together release timer: the order's items due by then start."""
        order_id, release_at = payload
        self.kitchen.release_due(order_id, release_at)

    def _break(self, outage: Any) -> None:
        if outage.name in self.on_break:
            return
        self.on_break.add(outage.name)
        self.observer.usage.down.add(f"cook {outage.name}")
        staff_id = self.staff_ids[outage.name]
        held = set(self.kitchen.get_staff(staff_id).active_tasks)
        kept = self.kitchen.set_break(staff_id, True).active_tasks
        for task_id in held.difference(kept):  # handed back before the cook started it
            self.current.pop(task_id, None)  # that start is void
        self._push(outage.end, "back", outage)

    def _back(self, outage: Any) -> None:
        self.on_break.discard(outage.name)
        self.observer.usage.down.discard(f"cook {outage.name}")
        self.kitchen.set_break(self.staff_ids[outage.name], False)

    def _down(self, outage: Any) -> None:
        self.machines_down.add(outage.name)
        self.observer.usage.down.add(f"machine {outage.name}")
        held = list(self.kitchen.station(outage.name).holders)
        self.kitchen.set_machine_up(outage.name, False)
        for task_id in held:  # rerouted before the cook started it: that start is void
            if self.kitchen.task(task_id).status != TaskStatus.STARTED:
                self.current.pop(task_id, None)
        self._push(outage.end, "up", outage)

    def _up(self, outage: Any) -> None:
        self.machines_down.discard(outage.name)
        self.observer.usage.down.discard(f"machine {outage.name}")
        self.kitchen.set_machine_up(outage.name, True)
        self._resume(outage.name)

    def _resume(self, name: str) -> None:
        """Starts held back by a broken machine go ahead now (if still valid)."""
        for task_id, assignment_no in self.deferred.pop(name, []):
            self._push(self.now, "start", (task_id, assignment_no))

    _handlers: dict[str, Callable[[Simulation, Any], None]] = {
        "arrive": _arrive,
        "start": _start,
        "finish": _finish,
        TIMEOUT: _timeout,
        RELEASE: _release,
        "break": _break,
        "back": _back,
        "down": _down,
        "up": _up,
    }


def simulate(
    scenario: Scenario,
    config: SimConfig,
    kitchen_policy: Policy | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> SimReport:
    """Build a fresh kitchen, run ``config`` on it and return the report."""
    return Simulation(scenario, config, kitchen_policy).run(progress)
