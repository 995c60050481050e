"""The fryer-outage study: a pool of two fryers against one, with fryer-1 down mid-service."""

from __future__ import annotations

import pytest

from kangaroo_paw.entrypoints.cli import main
from kangaroo_paw.simulation.capacity import load_profile
from kangaroo_paw.simulation.config import SimConfig
from kangaroo_paw.simulation.engine import Simulation
from kangaroo_paw.simulation.pools import Outage, fryer_scenarios, markdown, outage_table


def test_the_two_kitchens_differ_only_in_the_fry_station() -> None:
    one, pool = fryer_scenarios()
    assert one.machines["fryer-1"] == ("fryer", 4)
    assert (pool.machines["fryer-1"], pool.machines["fryer-2"]) == (("fryer", 2), ("fryer", 2))
    assert pool.machine_kinds == {"fryer-1": "fryer", "fryer-2": "fryer"}
    fries = pool.recipes["burger_combo"].steps[2]
    assert (fries.machine, fries.machine_kind) == (None, "fryer")
    assert one.recipes["burger_combo"].steps[2].machine == "fryer-1"
    # Same capacity: the bottleneck load of both is the same.
    assert load_profile(pool).max_per_order == pytest.approx(load_profile(one).max_per_order)
    assert [(o.name, o.at_minute, o.minutes) for o in one.disruptions.planned] == [
        ("fryer-1", 20.0, 10.0)
    ]


def test_during_the_outage_the_pool_keeps_frying_on_fryer_2() -> None:
    _, pool = fryer_scenarios(Outage(at_minute=2, minutes=6))
    sim = Simulation(pool, SimConfig(minutes=10, load=0.8, seed=3))
    report = sim.run()
    assert report.orders_completed == report.orders_arrived
    fryer_2 = report.utilization["machine fryer-2"]
    assert fryer_2.busy > 0
    for name, holders in sim.kitchen.station_holders().items():
        assert holders == [], name  # everything finished and gave its slots back


def test_the_pool_beats_one_fryer_through_an_outage() -> None:
    rows = outage_table(loads=[0.7], seeds=[1], minutes=20, outage=Outage(5, 10))
    one, pool = rows
    assert (one["kitchen"], pool["kitchen"]) == ("one fryer", "pool of two")
    assert one["orders"] == pool["orders"] > 0  # identical arrivals
    assert pool["ticket_mean_secs"] < one["ticket_mean_secs"]
    assert pool["ticket_p90_secs"] < one["ticket_p90_secs"]
    table = markdown(rows, Outage(5, 10))
    assert "| 70% | pool of two |" in table


def test_simulate_runs_the_fryer_outage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--fryer-outage", "--minutes", "6", "--load", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert "| 50% | one fryer |" in printed
    assert "| 50% | pool of two |" in printed
