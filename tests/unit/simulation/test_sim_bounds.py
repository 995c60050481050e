"""The lower bounds: the outage- and reaction-aware path of an order, and the capacity LP, which
no policy beats on random small runs and which is never below the paths it contains."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from kangaroo_paw.domain.order import Priority
from kangaroo_paw.simulation import SimConfig, Simulation, demo_scenario, load_scenario
from kangaroo_paw.simulation.bounds import (
    BoundInstance,
    BoundTask,
    Cut,
    bound_instance,
    resource_cuts,
)
from kangaroo_paw.simulation.optimum import solve_batch
from kangaroo_paw.simulation.study import same_arrivals
from kangaroo_paw.simulation.workload import Arrival, Workload

SCENARIOS = Path(__file__).resolve().parents[3] / "bench" / "scenarios"
ORDER = UUID(int=7)


def _task(secs: float, delay: float = 0.0, machine: str | None = None, *parents: int) -> BoundTask:
    return BoundTask(uuid4(), ORDER, "griller", machine, secs, delay, parents)


def _instance(
    *tasks: BoundTask,
    outages: dict[str, tuple[tuple[float, float], ...]] | None = None,
    cuts: tuple[Cut, ...] = (),
    confirmed: dict[UUID, float] | None = None,
) -> BoundInstance:
    return BoundInstance(tasks, confirmed or {ORDER: 0.0}, outages or {}, cuts, 3600.0)


def test_a_path_waits_out_the_reaction_and_the_outages_on_it() -> None:
    first = _task(10.0, 2.0, "grill-1")
    second = _task(5.0, 1.0, None, 0)
    # Down before the cook could start: the start waits for the grill to come back.
    down_early = {"grill-1": ((1.0, 20.0),)}
    assert _instance(first, second, outages=down_early).path_bounds() == {ORDER: 36.0}
    # Down after it started: a running task is not stopped.
    down_late = {"grill-1": ((5.0, 20.0),)}
    assert _instance(first, second, outages=down_late).path_bounds() == {ORDER: 18.0}
    # Confirmed while down: no assignment until it is back; outages may chain.
    chained = {"grill-1": ((-5.0, 3.0), (2.0, 30.0))}
    assert _instance(first, second, outages=chained).path_bounds() == {ORDER: 48.0}


def test_the_demo_crew_gives_one_cut_per_group_of_counters_only_it_can_serve() -> None:
    cuts = {c.name: c.capacity for c in resource_cuts(demo_scenario())}
    assert cuts["cooks for fryer"] == 3  # only Asha fries
    assert cuts["cooks for adhoc+beverage+fryer+griller+microwave"] == 7  # the whole crew
    assert cuts["cooks for fryer+griller+microwave"] == 5  # Asha and Noah
    # Counters and machines with more slots than the cooks who can use them never bind.
    assert not any(name.startswith(("counter", "machine")) for name in cuts)


def test_one_slot_two_orders_the_lp_finds_the_queue() -> None:
    pytest.importorskip("ortools")
    from kangaroo_paw.simulation.lpbound import capacity_bound

    other = UUID(int=8)
    a = BoundTask(uuid4(), ORDER, "oven", None, 60.0, 0.0, ())
    b = BoundTask(uuid4(), other, "oven", None, 60.0, 0.0, ())
    oven = Cut("counter oven", 1, frozenset({"oven"}))
    instance = _instance(a, b, cuts=(oven,), confirmed={ORDER: 0.0, other: 0.0})
    # One after the other, 60 + 120, is the best any schedule can do on one slot. The LP
    # counts a slot's work from the slot's start: half a slot per task goes missing.
    for step, expected in ((1.0, 179.0), (15.0, 165.0)):
        bound = capacity_bound(instance, step_secs=step)
        assert bound.optimal
        assert bound.path_total == pytest.approx(120.0)
        assert bound.total == pytest.approx(expected, abs=1e-6)


def test_the_capacity_bound_is_below_the_optimum_of_a_batch() -> None:
    pytest.importorskip("ortools")
    from kangaroo_paw.simulation.lpbound import capacity_bound

    scenario = demo_scenario().without_disruptions()
    batch = (
        {"burger_combo": 2},
        {"burger_combo": 1, "cold_coffee": 1},
        {"cold_coffee": 2},
        {"wrap": 1, "cold_coffee": 1},
    )
    best = solve_batch(scenario, batch, time_limit_secs=20)
    assert best.optimal
    arrivals = tuple(
        Arrival(0.0, f"b-{n}", dict(items), Priority.NORMAL) for n, items in enumerate(batch)
    )
    config = SimConfig(minutes=1.0, rate_per_min=0.0, duration_sigma=0.0, reaction_mean_secs=0.0)
    sim = Simulation(scenario, config, workload=Workload(arrivals, (), ()))
    sim.run()
    bound = capacity_bound(bound_instance(sim), step_secs=15.0)
    # Measured: paths 440 s, LP 508 s, optimum 595 s (ours: 725 s).
    assert bound.path_total < bound.total <= best.objective + 1e-6


@pytest.mark.parametrize(
    ("scenario_file", "load", "seed"),
    [(None, 0.9, 1), (None, 0.6, 2), ("pizza_oven.toml", 0.9, 3), ("espresso_bar.toml", 0.8, 4)],
)
def test_no_policy_beats_the_capacity_bound(
    scenario_file: str | None, load: float, seed: int
) -> None:
    pytest.importorskip("ortools")
    scenario = (
        demo_scenario() if scenario_file is None else load_scenario(SCENARIOS / scenario_file)
    )
    # Frequent breaks and failures so that requeues and outages are in play.
    scenario = replace(
        scenario,
        disruptions=replace(scenario.disruptions, break_every_minutes=6, machine_mtbf_minutes=8),
    )
    config = SimConfig(minutes=8, load=load, seed=seed, reaction_mean_secs=8)
    reports = same_arrivals(scenario, config, capacity=True)
    for report in reports:
        bound = report.capacity_bound
        assert bound is not None
        assert bound.optimal
        assert bound.orders == report.orders_completed > 0
        realized = sum(t.secs for t in report.tickets)
        paths = sum(t.realized_bound for t in report.tickets)
        assert bound.total <= realized + 1e-6 * realized, report.policy
        assert bound.total >= bound.path_total >= paths - 1e-6 * paths
        assert report.ticket_to_capacity_bound >= 1.0
