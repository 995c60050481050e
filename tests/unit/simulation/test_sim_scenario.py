"""Scenarios (demo and files) and the load they offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from kangaroo_paw.simulation.capacity import load_profile
from kangaroo_paw.simulation.scenario import (
    ScenarioError,
    demo_scenario,
    load_scenario,
)


def test_the_demo_mix_is_bound_by_the_whole_crew() -> None:
    profile = load_profile(demo_scenario())
    # Per order on average: griller 97.5 s, fryer 63, microwave 8, beverage 76.5, adhoc 48.5
    # = 293.5 slot-seconds for 3 + 2 + 2 = 7 cook slots.
    assert profile.per_order[profile.bottleneck] == pytest.approx(293.5 / 7)
    assert profile.bottleneck.startswith("cooks for ")
    assert profile.load_at(profile.rate_for(0.7)) == pytest.approx(0.7)


def test_reaction_delay_counts_as_offered_load() -> None:
    plain = load_profile(demo_scenario())
    slow = load_profile(demo_scenario(), reaction_mean_secs=10)
    assert slow.max_per_order > plain.max_per_order


def test_the_lower_bound_is_the_longest_line() -> None:
    scenario = demo_scenario()
    assert scenario.critical_path_secs({"burger_combo": 2, "dip_cup": 1}) == 125
    assert scenario.critical_path_secs({"cold_coffee": 1}) == 85


def test_a_toml_scenario_replaces_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "kitchen.toml"
    path.write_text(
        """
name = "two cooks"
rush_share = 0
[[cooks]]
name = "Ana"
skills = ["griller", "fryer", "adhoc"]
max_parallel = 3
[[cooks]]
name = "Bo"
skills = ["beverage", "microwave", "adhoc"]
max_parallel = 2
[[mix]]
items = { burger_combo = 1 }
weight = 1
[disruptions]
break_every_minutes = 0
machine_mtbf_minutes = 0
"""
    )
    scenario = load_scenario(path)
    assert scenario.name == "two cooks"
    assert [c.name for c in scenario.cooks] == ["Ana", "Bo"]
    assert scenario.recipes == demo_scenario().recipes
    assert scenario.disruptions.machine_mtbf_minutes == 0


def test_a_json_scenario_with_its_own_recipe(tmp_path: Path) -> None:
    path = tmp_path / "kitchen.json"
    path.write_text(
        """{"recipes": {"toast": {"steps": [{"step_no": 1, "description": "toast bread",
        "counter": "griller", "machine": "grill-1", "estimate_secs": 30,
        "base_priority": 5}]}}}"""
    )
    scenario = load_scenario(path)
    assert list(scenario.recipes) == ["toast"]
    assert [dict(t.items) for t in scenario.mix] == [{"toast": 1}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"mix": [{"items": {"pizza": 1}}]}', "without a recipe"),
        ("{not json", "not valid"),
        ('{"rush_share": 3}', "rush_share"),
    ],
)
def test_bad_scenarios_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


SCENARIOS = Path(__file__).resolve().parents[3] / "bench" / "scenarios"


@pytest.mark.parametrize(
    ("name", "bottleneck"),
    [
        ("pizza_oven.toml", "counter oven"),  # the oven counter and its one-slot deck oven
        ("espresso_bar.toml", "machine espresso-1"),
        ("fryer_outages.toml", "cooks for adhoc+beverage+fryer+griller+microwave"),
    ],
)
def test_the_bench_scenarios_load_and_run(name: str, bottleneck: str) -> None:
    from kangaroo_paw.simulation import SimConfig, Simulation

    scenario = load_scenario(SCENARIOS / name)
    profile = load_profile(scenario, reaction_mean_secs=5.0)
    assert profile.bottleneck == bottleneck
    if bottleneck.startswith(("counter", "machine")):
        # A station, not the crew, is what the kitchen waits for: the cooks have slack.
        crew = max(v for k, v in profile.per_order.items() if k.startswith("cooks for"))
        assert crew <= 0.75 * profile.max_per_order
    report = Simulation(scenario, SimConfig(minutes=15, load=0.7, seed=1)).run()
    assert report.orders_arrived > 0
    assert report.orders_unfinished == 0
    assert report.scenario == scenario.name
