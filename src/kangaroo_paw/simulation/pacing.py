"""Finish-together pacing measured: per-order plate spread and mean ticket time, asap against
together, on the same workloads (same seeds, same arrivals, same sampled durations)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

from kangaroo_paw.simulation.config import SimConfig
from kangaroo_paw.simulation.engine import Simulation
from kangaroo_paw.simulation.scenario import Scenario

PACES = ("asap", "together")


@dataclass(frozen=True, slots=True)
class PaceRun:
    """One run: the spreads of its multi-plate orders and its mean and p90 ticket times
    (seconds)."""

    scenario: str
    seed: int
    pace: str
    orders: int
    spreads: tuple[float, ...]
    mean_ticket: float
    p90_ticket: float

    @property
    def mean_spread(self) -> float:
        return statistics.fmean(self.spreads) if self.spreads else 0.0

    @property
    def p90_spread(self) -> float:
        if len(self.spreads) < 2:
            return self.mean_spread
        return statistics.quantiles(self.spreads, n=10)[-1]


def pace_run(scenario: Scenario, config: SimConfig, pace: str) -> PaceRun:
    sim = Simulation(scenario, replace(config, pace=pace))
    report = sim.run()
    spreads = tuple(sim.observer.spreads.values())
    return PaceRun(
        scenario.name,
        config.seed,
        pace,
        report.orders_completed,
        spreads,
        report.ticket.mean,
        report.ticket.p90,
    )


def compare_paces(scenario: Scenario, config: SimConfig, seeds: list[int]) -> list[PaceRun]:
    """Every seed under each pace."""
    return [
        pace_run(scenario, replace(config, seed=seed), pace) for seed in seeds for pace in PACES
    ]


def pacing_table(runs: list[PaceRun]) -> str:
    """A Markdown table: per scenario and pace, spreads and ticket times over seeds, and
    the ticket-time cost of ``together`` against ``asap`` on the same seeds."""
    lines = [
        "| kitchen | pace | seeds | mean spread s | p90 spread s | mean ticket s "
        "| p90 ticket s | ticket vs asap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r.scenario for r in runs):
        base = statistics.fmean(
            r.mean_ticket for r in runs if r.scenario == name and r.pace == "asap"
        )
        for pace in PACES:
            group = [r for r in runs if r.scenario == name and r.pace == pace]
            ticket = statistics.fmean(r.mean_ticket for r in group)
            lines.append(
                f"| {name} | {pace} | {len(group)} "
                f"| {statistics.fmean(r.mean_spread for r in group):.0f} "
                f"| {statistics.fmean(r.p90_spread for r in group):.0f} "
                f"| {ticket:.0f} | {statistics.fmean(r.p90_ticket for r in group):.0f} "
                f"| {100 * (ticket / base - 1):+.1f} % |"
            )
    return "\n".join(lines)
