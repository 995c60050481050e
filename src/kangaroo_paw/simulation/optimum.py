"""The optimum on small static batches (OR-Tools CP-SAT, imported lazily), and the ratio of a
policy's schedule to it.

A batch is a few orders confirmed together at t=0. The model has the kitchen's constraints:
each task holds one slot of its counter, of its machine (if any) and of one cook skilled in its
counter for exactly its estimate; cooks offer ``max_parallel`` slots; a task starts after the
tasks it depends on. It minimizes the sum of order completion times (= the sum of ticket
times). Policies run the same batch through the simulator with exact durations and no
reaction delay, so both sides see the same problem.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kangaroo_paw.domain.order import Priority
from kangaroo_paw.simulation.engine import SimConfig, Simulation
from kangaroo_paw.simulation.scenario import Scenario
from kangaroo_paw.simulation.workload import Arrival, Workload


class SolverMissing(RuntimeError):
    """OR-Tools is not installed."""


Batch = tuple[dict[str, int], ...]


@dataclass(frozen=True, slots=True)
class Optimum:
    """What CP-SAT found for a batch."""

    objective: float  # best sum of completion times found (seconds)
    bound: float  # proven lower bound on it
    optimal: bool
    wall_secs: float


def random_batches(
    scenario: Scenario, count: int, seed: int, orders: tuple[int, int] = (3, 5)
) -> list[Batch]:
    """``count`` batches of ``orders[0]..orders[1]`` orders drawn from the scenario's mix."""
    rng = random.Random(f"{seed}:batches")
    weights = [t.weight for t in scenario.mix]
    return [
        tuple(
            dict(rng.choices(scenario.mix, weights)[0].items) for _ in range(rng.randint(*orders))
        )
        for _ in range(count)
    ]


def batch_tasks(scenario: Scenario, batch: Batch) -> list[dict[str, Any]]:
    """The tasks a batch explodes into, with integer durations and dependency indexes."""
    tasks: list[dict[str, Any]] = []
    for order_no, items in enumerate(batch):
        for key, qty in sorted(items.items()):
            recipe = scenario.recipes[key]
            deps = scenario.unit_dependencies(key)
            for _unit in range(qty):
                index = {}
                for step in recipe.steps:
                    index[step.step_no] = len(tasks)
                    tasks.append(
                        {
                            "order": order_no,
                            "counter": step.counter,
                            "machine": step.machine,
                            "secs": math.ceil(step.estimate_secs),
                            "step_no": step.step_no,
                        }
                    )
                for step in recipe.steps:
                    tasks[index[step.step_no]]["after"] = [index[p] for p in deps[step.step_no]]
    return tasks


def solve_batch(
    scenario: Scenario, batch: Batch, time_limit_secs: float = 10.0, workers: int = 2
) -> Optimum:
    """Minimize the sum of order completion times with CP-SAT."""
    try:
        from ortools.sat.python import cp_model
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SolverMissing(
            "the optimum needs OR-Tools: pip install ortools (the 'sim' extra)"
        ) from exc
    started = time.perf_counter()
    tasks = batch_tasks(scenario, batch)
    horizon = sum(t["secs"] for t in tasks)
    model = cp_model.CpModel()
    starts, ends, intervals = [], [], []
    for i, t in enumerate(tasks):
        s = model.new_int_var(0, horizon, f"s{i}")
        e = model.new_int_var(0, horizon, f"e{i}")
        intervals.append(model.new_interval_var(s, t["secs"], e, f"i{i}"))
        starts.append(s)
        ends.append(e)
        for p in t["after"]:
            model.add(s >= ends[p])
    _stations(model, scenario, tasks, intervals)
    _cooks(model, scenario, tasks, starts, ends)
    completion = []
    for o in range(len(batch)):
        done = model.new_int_var(0, horizon, f"c{o}")
        model.add_max_equality(done, [ends[i] for i, t in enumerate(tasks) if t["order"] == o])
        completion.append(done)
    model.minimize(sum(completion))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_secs
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no schedule ({solver.status_name(status)})")
    return Optimum(
        objective=float(solver.objective_value),
        bound=float(solver.best_objective_bound),
        optimal=status == cp_model.OPTIMAL,
        wall_secs=time.perf_counter() - started,
    )


def _stations(
    model: Any, scenario: Scenario, tasks: list[dict[str, Any]], intervals: list[Any]
) -> None:
    """Counter and machine capacities: at most ``capacity`` tasks at once on each."""
    pools: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for i, t in enumerate(tasks):
        pools[(t["counter"], scenario.counters[t["counter"]])].append(intervals[i])
        if t["machine"] is not None:
            pools[(t["machine"], scenario.machines[t["machine"]][1])].append(intervals[i])
    for (_, capacity), members in pools.items():
        if len(members) > capacity:
            model.add_cumulative(members, [1] * len(members), capacity)


def _cooks(
    model: Any, scenario: Scenario, tasks: list[dict[str, Any]], starts: list[Any], ends: list[Any]
) -> None:
    """Each task goes to exactly one cook skilled in its counter; a cook runs at most
    ``max_parallel`` tasks at once."""
    by_cook: dict[int, list[Any]] = defaultdict(list)
    for i, t in enumerate(tasks):
        choices = []
        for c, cook in enumerate(scenario.cooks):
            if t["counter"] not in cook.skills:
                continue
            chosen = model.new_bool_var(f"x{i}_{c}")
            by_cook[c].append(
                model.new_optional_interval_var(starts[i], t["secs"], ends[i], chosen, f"o{i}_{c}")
            )
            choices.append(chosen)
        if not choices:
            raise ValueError(f"no cook can work counter {t['counter']!r}")
        model.add_exactly_one(choices)
    for c, members in by_cook.items():
        model.add_cumulative(members, [1] * len(members), scenario.cooks[c].max_parallel)


def policy_total(scenario: Scenario, batch: Batch, policy: str) -> float:
    """Sum of ticket times when ``policy`` schedules the batch in the real kitchen, with
    exact durations and cooks that start the moment they are assigned."""
    arrivals = tuple(
        Arrival(0.0, f"batch-{n:03d}", dict(items), Priority.NORMAL)
        for n, items in enumerate(batch, start=1)
    )
    config = SimConfig(
        minutes=1.0,
        rate_per_min=0.0,
        policy=policy,
        duration_sigma=0.0,
        reaction_mean_secs=0.0,
        disruptions=False,
    )
    sim = Simulation(scenario, config, workload=Workload(arrivals, (), ()))
    report = sim.run()
    if report.orders_unfinished:
        raise RuntimeError(f"{policy} left {report.orders_unfinished} order(s) unfinished")
    return sum(t.secs for t in report.tickets)


def critical_path_total(scenario: Scenario, batch: Batch) -> float:
    """Sum of the orders' critical paths: what the batch would take with unlimited capacity."""
    return sum(scenario.critical_path_secs(items) for items in batch)
