"""The fryer-outage study: one fryer against a pool of two of the same total capacity, with
one fryer down for some minutes in the middle of service.

Both kitchens are the demo kitchen; only the fry station differs. ``one fryer``: fryer-1 with
4 slots, the fries step names it. ``pool of two``: fryer-1 and fryer-2 with 2 slots each, of
kind ``fryer``, and the fries step names the kind. Both get the same arrivals (a rate set from
the one-fryer kitchen's bottleneck at ``load``), the same durations and reaction delays, no
breaks and no random failures: only the planned outage of fryer-1. With one fryer the outage
stops every fry until it is back; with the pool, fryer-2 keeps frying, fryer-1's unstarted
tasks are rerouted to it at once, and its started baskets finish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kangaroo_paw.simulation.capacity import load_profile
from kangaroo_paw.simulation.config import SimConfig
from kangaroo_paw.simulation.engine import Simulation
from kangaroo_paw.simulation.report import summarize
from kangaroo_paw.simulation.scenario import (
    Disruptions,
    PlannedOutage,
    RecipeSpec,
    Scenario,
    demo_scenario,
)

FRYER_KIND = "fryer"


@dataclass(frozen=True, slots=True)
class Outage:
    """fryer-1 goes down at ``at_minute`` for ``minutes``."""

    at_minute: float = 20.0
    minutes: float = 10.0


def fryer_scenarios(outage: Outage = Outage()) -> tuple[Scenario, Scenario]:
    """(one fryer, pool of two): the demo kitchen with only fryer-1's planned outage."""
    base = demo_scenario()
    counter, capacity = base.machines["fryer-1"]
    disruptions = replace(
        Disruptions.none(), planned=(PlannedOutage("fryer-1", outage.at_minute, outage.minutes),)
    )
    one = replace(base, name="one fryer", disruptions=disruptions)
    machines = dict(base.machines)
    half = capacity // 2
    machines["fryer-1"] = (counter, half)
    machines["fryer-2"] = (counter, capacity - half)
    recipes = {key: _pooled(spec) for key, spec in base.recipes.items()}
    pool = replace(
        one,
        name="pool of two",
        machines=machines,
        recipes=recipes,
        machine_kinds={"fryer-1": FRYER_KIND, "fryer-2": FRYER_KIND},
    )
    return one, pool


def _pooled(spec: RecipeSpec) -> RecipeSpec:
    """The recipe with every step on fryer-1 moved to the pool of fryers."""
    steps = tuple(
        replace(s, machine=None, machine_kind=FRYER_KIND) if s.machine == "fryer-1" else s
        for s in spec.steps
    )
    return replace(spec, steps=steps)


def outage_table(
    loads: Sequence[float] = (0.5, 0.7),
    seeds: Sequence[int] = (1, 2, 3),
    minutes: float = 60.0,
    outage: Outage = Outage(),
) -> list[dict[str, Any]]:
    """Per (load, kitchen): ticket time mean and p90 (tickets pooled over the seeds), the
    orders and the reroutes; both kitchens of a row pair see identical arrivals."""
    one, pool = fryer_scenarios(outage)
    profile = load_profile(one)
    rows: list[dict[str, Any]] = []
    for load in loads:
        rate = profile.rate_for(load) * 60
        for scenario in (one, pool):
            tickets: list[float] = []
            reroutes = 0
            for seed in seeds:
                config = SimConfig(minutes=minutes, load=None, rate_per_min=rate, seed=seed)
                sim = Simulation(scenario, config)
                report = sim.run()
                tickets.extend(t.secs for t in report.tickets)
                reroutes += sim.observer.reroutes
            summary = summarize(tickets)
            rows.append(
                {
                    "load": load,
                    "kitchen": scenario.name,
                    "orders": len(tickets),
                    "ticket_mean_secs": round(summary.mean, 1),
                    "ticket_p90_secs": round(summary.p90, 1),
                    "reroutes": reroutes,
                }
            )
    return rows


def markdown(rows: Sequence[dict[str, Any]], outage: Outage = Outage()) -> str:
    """The table as docs/scheduling.md shows it."""
    lines = [
        f"fryer-1 down from minute {outage.at_minute:g} for {outage.minutes:g} minutes",
        "",
        "| load | kitchen | orders | ticket mean (s) | ticket p90 (s) | rerouted |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['load']:.0%} | {r['kitchen']} | {r['orders']} | {r['ticket_mean_secs']:.0f} | "
        f"{r['ticket_p90_secs']:.0f} | {r['reroutes']} |"
        for r in rows
    ]
    return "\n".join(lines)
