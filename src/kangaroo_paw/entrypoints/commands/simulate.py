"""``kangaroo-paw simulate``: a discrete-event simulation of a service on the real Kitchen."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from kangaroo_paw.composition import policy_from
from kangaroo_paw.entrypoints.simview import headline, progress_bar, utilization
from kangaroo_paw.settings import Settings
from kangaroo_paw.simulation import (
    POLICIES,
    Scenario,
    ScenarioError,
    SimConfig,
    Simulation,
    demo_scenario,
    load_scenario,
)
from kangaroo_paw.simulation.plots import DEFAULT_TARGET_MINUTES


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate a service (Poisson orders, cooks, breaks, failures) on the real kitchen",
        description=(
            "Discrete-event simulation on simulated time: orders arrive from the menu mix, "
            "cooks start assigned tasks after a reaction delay, durations vary around the "
            "estimates, machines fail and cooks take breaks. Load is the offered slot-time "
            "(estimate + mean reaction delay) over the capacity of the bottleneck."
        ),
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="arrival window (60)")
    rate = parser.add_mutually_exclusive_group()
    rate.add_argument("--load", type=float, help="bottleneck utilization, e.g. 0.7 (default)")
    rate.add_argument("--rate", type=float, help="orders per minute instead of --load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--policy",
        choices=[*POLICIES, "all"],
        default="ours",
        help="allocation policy; 'all' runs each on the same arrivals",
    )
    parser.add_argument("--scenario", type=Path, help="kitchen + mix as a JSON or TOML file")
    parser.add_argument("--sigma", type=float, default=0.3, help="lognormal duration spread")
    parser.add_argument("--reaction", type=float, default=5.0, help="mean reaction delay (s)")
    parser.add_argument("--no-disruptions", action="store_true", help="no breaks, no failures")
    parser.add_argument(
        "--target",
        type=float,
        default=DEFAULT_TARGET_MINUTES,
        metavar="MINUTES",
        help=f"ticket-time target shown in the summary and charts ({DEFAULT_TARGET_MINUTES:g})",
    )
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write PNG charts into DIR")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--fryer-outage",
        action="store_true",
        help="compare one fryer with a pool of two while fryer-1 is down (minutes 20-30)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    err = Console(stderr=True)
    try:
        scenario: Scenario = load_scenario(args.scenario) if args.scenario else demo_scenario()
    except ScenarioError as exc:
        err.print(f"[red]kangaroo-paw simulate: {exc}[/red]")
        return 2
    checked = (
        (args.minutes, "--minutes"),
        (args.load, "--load"),
        (args.rate, "--rate"),
        (args.target, "--target"),
    )
    for value, name in checked:
        if value is not None and value <= 0:
            err.print(f"[red]kangaroo-paw simulate: {name} must be > 0[/red]")
            return 2
    if args.fryer_outage:
        return _fryer_outage(args, console)
    config = SimConfig(
        minutes=args.minutes,
        load=args.load if args.load is not None else (None if args.rate else 0.7),
        rate_per_min=args.rate,
        seed=args.seed,
        duration_sigma=args.sigma,
        reaction_mean_secs=args.reaction,
        disruptions=not args.no_disruptions,
    )
    policies = list(POLICIES) if args.policy == "all" else [args.policy]
    kitchen_policy = policy_from(settings)
    reports = []
    workload = None
    for name in policies:
        sim = Simulation(scenario, replace(config, policy=name), kitchen_policy, workload)
        workload = sim.workload  # every policy sees the same arrivals
        with progress_bar(console if not args.quiet else Console(quiet=True), name) as tick:
            reports.append(sim.run(tick))
    console.print(headline(reports, args.target * 60))
    console.print(utilization(reports))
    status = 0
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"config": vars_of(config), "runs": [r.to_dict() for r in reports]}
        args.json.write_text(json.dumps(payload, indent=2, default=str))
        console.print(f"wrote {args.json}")
    if args.plot:
        status = _plot(reports, args.plot, args.target, console, err)
    return status


def _fryer_outage(args: argparse.Namespace, console: Console) -> int:
    """The machine-pool study (simulation/pools.py) at one load and seed, as a table."""
    from kangaroo_paw.simulation.pools import markdown, outage_table

    rows = outage_table([args.load or 0.7], [args.seed], args.minutes)
    console.print(markdown(rows), markup=False)
    return 0


def vars_of(config: SimConfig) -> dict[str, Any]:
    """The run's settings, for the JSON output."""
    return {name: getattr(config, name) for name in SimConfig.__slots__}


def _plot(
    reports: list[Any], folder: Path, target_minutes: float, console: Console, err: Console
) -> int:
    from kangaroo_paw.simulation.plots import PlottingUnavailable, write_charts

    try:
        for path in write_charts(reports, folder, target_minutes):
            console.print(f"wrote {path}")
    except PlottingUnavailable as exc:
        err.print(f"[red]kangaroo-paw simulate: {exc}[/red]")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run as: kangaroo-paw simulate")
