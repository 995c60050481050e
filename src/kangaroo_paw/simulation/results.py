"""Turn a finished simulation into its report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol
from uuid import UUID

from kangaroo_paw.simulation.capacity import LoadProfile
from kangaroo_paw.simulation.config import SimConfig
from kangaroo_paw.simulation.metrics import Observer
from kangaroo_paw.simulation.policies import SimPolicy
from kangaroo_paw.simulation.report import (
    ResourceUse,
    SimReport,
    Ticket,
    promise_accuracy,
    ratio,
    summarize,
)
from kangaroo_paw.simulation.scenario import Scenario
from kangaroo_paw.simulation.workload import Workload


class FinishedRun(Protocol):
    """What the report reads of a run that has ended (``engine.Simulation`` is one). Named
    here so that the engine imports the report and never the other way round."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def config(self) -> SimConfig: ...
    @property
    def policy(self) -> SimPolicy: ...
    @property
    def profile(self) -> LoadProfile: ...
    @property
    def workload(self) -> Workload: ...
    @property
    def observer(self) -> Observer: ...
    @property
    def window(self) -> float: ...
    @property
    def rate_per_sec(self) -> float: ...
    @property
    def bounds(self) -> Mapping[UUID, float]: ...
    @property
    def promises(self) -> Mapping[UUID, float | None]: ...
    @property
    def passes(self) -> int: ...
    @property
    def timeline(self) -> Sequence[tuple[float, int, int]]: ...
    def actual_secs(self, task_id: UUID) -> float: ...


def build_report(sim: FinishedRun, wall_secs: float) -> SimReport:
    obs = sim.observer
    window = sim.window
    completed = obs.completed_at
    tickets = {o: completed[o] - obs.confirmed_at[o] for o in completed}
    bounds = [sim.bounds[o] for o in tickets]
    realized = _realized_bounds(sim, set(tickets))
    ticket = summarize(tickets.values())
    bound = summarize(bounds)
    in_window = sum(1 for t in completed.values() if t <= window)
    ordered = sorted(
        (
            Ticket(
                round(completed[o], 3),
                round(tickets[o], 3),
                sim.bounds[o],
                realized[o],
                sim.promises.get(o),
            )
            for o in tickets
        ),
        key=lambda t: (t.completed_at, t.secs),
    )
    return SimReport(
        scenario=sim.scenario.name,
        policy=sim.policy.name,
        seed=sim.config.seed,
        minutes=sim.config.minutes,
        load=sim.profile.load_at(sim.rate_per_sec),
        rate_per_min=sim.rate_per_sec * 60,
        bottleneck=sim.profile.bottleneck,
        workload_digest=sim.workload.digest(),
        orders_arrived=len(obs.confirmed_at),
        orders_completed=len(completed),
        tasks_completed=obs.tasks_completed,
        ticket=ticket,
        bound=bound,
        ticket_to_bound=ratio(ticket.mean, bound.mean),
        realized_bound=summarize(realized.values()),
        ready_wait=summarize(obs.waits),
        mean_queue_length=ratio(obs.usage.queue_area, window),
        requeues=obs.requeues,
        hand_backs=obs.hand_backs,
        passes=sim.passes,
        throughput_per_min=ratio(in_window, window / 60),
        makespan_secs=max(completed.values(), default=0.0),
        utilization=_utilization(sim),
        promise=promise_accuracy(ordered),
        wall_secs=wall_secs,
        timeline=list(sim.timeline),
        tickets=ordered,
    )


def _utilization(sim: FinishedRun) -> dict[str, ResourceUse]:
    usage = sim.observer.usage
    window = sim.window
    capacities: dict[str, tuple[str, int]] = {}
    for cook in sim.scenario.cooks:
        capacities[f"cook {cook.name}"] = ("cook", cook.max_parallel)
    for name, cap in sim.scenario.counters.items():
        capacities[f"counter {name}"] = ("counter", cap)
    for name, (_, cap) in sim.scenario.machines.items():
        capacities[f"machine {name}"] = ("machine", cap)
    result = {}
    for name, (kind, cap) in capacities.items():
        result[name] = ResourceUse(
            kind=kind,
            capacity=cap,
            held=ratio(usage.held_area.get(name, 0.0), cap * window),
            busy=ratio(usage.busy_area.get(name, 0.0), cap * window),
            out_of_service=ratio(usage.down_area.get(name, 0.0), window),
        )
    return result


def _realized_bounds(sim: FinishedRun, orders: set[UUID]) -> dict[UUID, float]:
    """Per order, the longest dependency path with each task's *actual* duration: no policy
    can beat it on this run, whatever the spread of the durations."""
    tasks = sim.observer.tasks
    finish: dict[UUID, float] = {}

    def finish_of(task_id: UUID) -> float:
        if task_id not in finish:
            info = tasks[task_id]
            start = max((finish_of(p) for p in info.depends_on), default=0.0)
            finish[task_id] = start + sim.actual_secs(task_id)
        return finish[task_id]

    result: dict[UUID, float] = dict.fromkeys(orders, 0.0)
    for task_id, info in tasks.items():
        if info.order_id in result:
            result[info.order_id] = max(result[info.order_id], finish_of(task_id))
    return result
