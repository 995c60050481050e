"""CP-SAT on a small batch: the optimum is a true bound for every policy."""

from __future__ import annotations

import pytest

from kangaroo_paw.simulation.optimum import (
    batch_tasks,
    critical_path_total,
    policy_total,
    random_batches,
    solve_batch,
)
from kangaroo_paw.simulation.scenario import demo_scenario

pytest.importorskip("ortools")


def test_no_policy_beats_the_optimum_and_the_optimum_respects_the_critical_paths() -> None:
    scenario = demo_scenario().without_disruptions()
    batch = ({"burger_combo": 1, "cold_coffee": 1}, {"wrap": 1}, {"cold_coffee": 2})
    best = solve_batch(scenario, batch, time_limit_secs=20)
    assert best.optimal
    assert best.objective >= critical_path_total(scenario, batch)
    for name in ("ours", "original", "fifo"):
        assert policy_total(scenario, batch, name) >= best.objective - 1e-6


def test_a_single_order_alone_takes_its_critical_path() -> None:
    scenario = demo_scenario().without_disruptions()
    batch = ({"burger_combo": 1},)
    assert solve_batch(scenario, batch).objective == 125
    assert policy_total(scenario, batch, "ours") == 125


def test_batches_explode_like_the_kitchen() -> None:
    scenario = demo_scenario()
    tasks = batch_tasks(scenario, ({"burger_combo": 2},))
    assert len(tasks) == 8
    assembly = [t for t in tasks if t["step_no"] == 4]
    assert all(len(t["after"]) == 3 for t in assembly)
    assert len(random_batches(scenario, 5, 1)) == 5
