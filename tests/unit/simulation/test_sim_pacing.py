"""Finish-together pacing in the simulator: release timers run, spreads are measured."""

from __future__ import annotations

from kangaroo_paw.simulation.config import SimConfig
from kangaroo_paw.simulation.pacing import compare_paces, pacing_table
from kangaroo_paw.simulation.scenario import demo_scenario


def test_both_paces_serve_the_same_workload_and_measure_spreads() -> None:
    runs = compare_paces(demo_scenario(), SimConfig(minutes=10, load=0.5, disruptions=False), [2])
    asap, together = runs
    assert (asap.pace, together.pace) == ("asap", "together")
    assert asap.orders == together.orders > 2  # every order finishes under both paces
    # Every completed multi-plate order has a spread, never negative.
    assert len(asap.spreads) == len(together.spreads) > 0
    assert min(asap.spreads + together.spreads) >= 0
    assert asap.p90_ticket >= min(asap.mean_ticket, asap.p90_ticket) > 0
    table = pacing_table(runs)
    assert "| p90 ticket s |" in table
    assert "| demo kitchen | together | 1 |" in table
    assert "+0.0 %" in table  # asap is its own baseline
