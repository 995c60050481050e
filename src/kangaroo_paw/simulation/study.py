"""Experiments over many runs: policies compared on identical arrivals at several loads (with
their lower bounds and promise accuracy), and policies against the CP-SAT optimum on small
batches."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from typing import Any
from uuid import UUID

from kangaroo_paw.application.policy import Policy
from kangaroo_paw.simulation.bounds import bound_instance
from kangaroo_paw.simulation.engine import SimConfig, Simulation
from kangaroo_paw.simulation.lpbound import capacity_bound
from kangaroo_paw.simulation.optimum import (
    critical_path_total,
    policy_total,
    random_batches,
    solve_batch,
)
from kangaroo_paw.simulation.policies import POLICIES
from kangaroo_paw.simulation.report import (
    CapacityBound,
    SimReport,
    promise_accuracy,
    ratio,
    summarize,
)
from kangaroo_paw.simulation.scenario import Scenario

Tick = Callable[[str], None]


def same_arrivals(
    scenario: Scenario,
    config: SimConfig,
    policies: Sequence[str] = POLICIES,
    kitchen_policy: Policy | None = None,
    capacity: bool = False,
) -> list[SimReport]:
    """Run every policy on one workload (same arrivals, breaks, failures, durations);
    ``capacity`` also solves the capacity bound of the workload (needs OR-Tools)."""
    first = Simulation(scenario, replace(config, policy=policies[0]), kitchen_policy)
    workload = first.workload
    reports = [first.run()]
    done = [frozenset(first.observer.completed_at)]
    # Tasks, durations and delays are the same under every policy: one instance serves all.
    instance = bound_instance(first) if capacity else None
    for name in policies[1:]:
        sim = Simulation(scenario, replace(config, policy=name), kitchen_policy, workload)
        reports.append(sim.run())
        done.append(frozenset(sim.observer.completed_at))
    if instance is not None:
        solved: dict[frozenset[UUID], CapacityBound] = {}
        for report, orders in zip(reports, done, strict=True):
            # The bound covers the orders the run completed (usually all: one LP per workload).
            if orders not in solved:
                solved[orders] = capacity_bound(instance.restricted(orders))
            report.capacity_bound = solved[orders]
            report.ticket_to_capacity_bound = ratio(report.ticket.mean, solved[orders].mean)
    return reports


def policy_table(
    scenario: Scenario,
    base: SimConfig,
    loads: Sequence[float],
    seeds: Sequence[int],
    policies: Sequence[str] = POLICIES,
    tick: Tick | None = None,
    capacity: bool = False,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """Ticket-time figures per (load, policy), tickets pooled over the seeds; each row also
    carries its mean ticket relative to the first policy and to fifo on the same arrivals.
    ``workers`` > 1 runs the workloads in that many processes."""
    configs = {
        (load, seed): replace(base, load=load, rate_per_min=None, seed=seed)
        for load in loads
        for seed in seeds
    }
    results = _run_all(scenario, configs, policies, capacity, workers, tick)
    rows: list[dict[str, Any]] = []
    for load in loads:
        runs: dict[str, list[SimReport]] = {p: [] for p in policies}
        for seed in seeds:
            for report in results[(load, seed)]:
                runs[report.policy].append(report)
        reference = _mean_ticket(runs[policies[0]])
        fifo = _mean_ticket(runs["fifo"]) if "fifo" in runs else math.nan
        for name in policies:
            rows.append(_row(load, name, runs[name], reference, fifo))
    return rows


Job = tuple[float, int]  # (load, seed)


def _run_all(
    scenario: Scenario,
    configs: dict[Job, SimConfig],
    policies: Sequence[str],
    capacity: bool,
    workers: int,
    tick: Tick | None,
) -> dict[Job, list[SimReport]]:
    """``same_arrivals`` for every job, here or in a process pool."""
    results: dict[Job, list[SimReport]] = {}
    if workers <= 1:
        for job, config in configs.items():
            results[job] = same_arrivals(scenario, config, policies, capacity=capacity)
            if tick is not None:
                tick(f"load {job[0]:.0%} seed {job[1]}")
        return results
    with ProcessPoolExecutor(workers) as pool:
        futures = {
            pool.submit(same_arrivals, scenario, config, policies, None, capacity): job
            for job, config in configs.items()
        }
        for future in as_completed(futures):
            job = futures[future]
            results[job] = future.result()
            if tick is not None:
                tick(f"load {job[0]:.0%} seed {job[1]}")
    return results


def _mean_ticket(reports: Sequence[SimReport]) -> float:
    tickets = [t.secs for r in reports for t in r.tickets]
    return sum(tickets) / len(tickets) if tickets else math.nan


def _row(
    load: float, name: str, reports: Sequence[SimReport], reference: float, fifo: float
) -> dict[str, Any]:
    tickets = summarize(t.secs for r in reports for t in r.tickets)
    bounds = summarize(t.bound for r in reports for t in r.tickets)
    waits = [r.ready_wait.mean for r in reports]
    promise = promise_accuracy(t for r in reports for t in r.tickets)
    row: dict[str, Any] = {
        "load": load,
        "policy": name,
        "runs": len(reports),
        "orders": sum(r.orders_arrived for r in reports),
        "unfinished": sum(r.orders_unfinished for r in reports),
        "ticket_mean": tickets.mean,
        "ticket_p50": tickets.p50,
        "ticket_p90": tickets.p90,
        "ticket_p99": tickets.p99,
        "ticket_max": tickets.max,
        "bound_mean": bounds.mean,
        "ticket_to_bound": ratio(tickets.mean, bounds.mean),
        "vs_first_policy": ratio(tickets.mean, reference),
        "vs_fifo": ratio(tickets.mean, fifo),
        "wait_mean": sum(waits) / len(waits) if waits else math.nan,
        "requeues": sum(r.requeues for r in reports),
        "hand_backs": sum(r.hand_backs for r in reports),
        "wall_secs": sum(r.wall_secs for r in reports),
        "workloads": sorted({r.workload_digest for r in reports}),
        "promise": asdict(promise),
    }
    found = [r.capacity_bound for r in reports if r.capacity_bound is not None]
    if len(found) == len(reports) and found:
        orders = sum(b.orders for b in found)
        row["path_bound_mean"] = ratio(sum(b.path_total for b in found), orders)
        capacity_mean = ratio(sum(b.total for b in found), orders)
        row["capacity_bound_mean"] = capacity_mean
        row["ticket_to_capacity_bound"] = ratio(tickets.mean, capacity_mean)
        row["capacity_bound_optimal"] = all(b.optimal for b in found)
        row["capacity_bound_secs"] = sum(b.wall_secs for b in found)
    return row


def optimum_table(
    scenario: Scenario,
    count: int,
    seed: int,
    policies: Sequence[str] = POLICIES,
    orders: tuple[int, int] = (3, 5),
    time_limit_secs: float = 10.0,
    tick: Tick | None = None,
) -> dict[str, Any]:
    """Each policy's sum of ticket times over the CP-SAT optimum, batch by batch."""
    clean = scenario.without_disruptions()
    batches: list[dict[str, Any]] = []
    for n, batch in enumerate(random_batches(clean, count, seed, orders), start=1):
        best = solve_batch(clean, batch, time_limit_secs)
        totals = {p: policy_total(clean, batch, p) for p in policies}
        batches.append(
            {
                "orders": len(batch),
                "items": [dict(items) for items in batch],
                "optimum": best.objective,
                "solver_bound": best.bound,
                "proven_optimal": best.optimal,
                "solver_secs": best.wall_secs,
                "critical_paths": critical_path_total(clean, batch),
                "totals": totals,
                "ratios": {p: ratio(v, best.objective) for p, v in totals.items()},
            }
        )
        if tick is not None:
            tick(f"batch {n}/{count}")
    summary = {}
    for p in policies:
        values = [b["ratios"][p] for b in batches]
        summary[p] = {
            "mean": sum(values) / len(values) if values else math.nan,
            "geomean": _geomean(values),
            "max": max(values, default=math.nan),
            "min": min(values, default=math.nan),
            "at_optimum": sum(1 for v in values if v <= 1.0 + 1e-9),
        }
    return {
        "batches": batches,
        "summary": summary,
        "proven_optimal": sum(1 for b in batches if b["proven_optimal"]),
        "optimum_to_critical_paths": ratio(
            sum(b["optimum"] for b in batches), sum(b["critical_paths"] for b in batches)
        ),
    }


def _geomean(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    return math.exp(sum(math.log(v) for v in values) / len(values))
