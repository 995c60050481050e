"""``kangaroo-paw demo``: a short simulated lunch service on the demo kitchen, then a summary."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from kangaroo_paw.composition import policy_from
from kangaroo_paw.entrypoints.simview import headline, mmss, progress_bar, utilization
from kangaroo_paw.settings import Settings
from kangaroo_paw.simulation import SimConfig, SimReport, Simulation, demo_scenario
from kangaroo_paw.simulation.plots import DEFAULT_TARGET_MINUTES


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="a short simulated service on the demo kitchen with a ticket-time summary",
        description=(
            "Orders arrive on the demo kitchen (in memory, simulated clock), the allocator "
            "assigns their tasks, cooks start and finish them; then the ticket times are "
            "summarized. For longer runs and policy comparisons use `kangaroo-paw simulate`."
        ),
    )
    parser.add_argument("--minutes", type=float, default=15.0, help="simulated minutes (15)")
    parser.add_argument("--load", type=float, default=0.7, help="bottleneck utilization (0.7)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--target",
        type=float,
        default=DEFAULT_TARGET_MINUTES,
        metavar="MINUTES",
        help=f"ticket-time target ({DEFAULT_TARGET_MINUTES:g})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    if args.minutes <= 0 or args.load <= 0 or args.target <= 0:
        Console(stderr=True).print(
            "[red]kangaroo-paw demo: --minutes, --load and --target must be > 0"
        )
        return 2
    config = SimConfig(minutes=args.minutes, load=args.load, seed=args.seed)
    sim = Simulation(demo_scenario(), config, policy_from(settings))
    console.print(
        f"[bold]Lunch service on the demo kitchen[/bold]: {len(sim.workload.arrivals)} orders "
        f"over {args.minutes:g} simulated minutes ({sim.rate_per_sec * 60:.2f} a minute, the "
        f"busiest part of the kitchen at {args.load:.0%}), cooks "
        f"{', '.join(c.name for c in sim.scenario.cooks)}"
    )
    with progress_bar(console, "service") as tick:
        report = sim.run(tick, every_secs=15.0)
    console.print(tickets(report))
    console.print(headline([report], args.target * 60))
    console.print(utilization([report]))
    return 0


def tickets(report: SimReport, limit: int = 12) -> Table:
    """The first orders of the service, one line each."""
    table = Table(title=f"First {limit} orders ready (min:s)")
    table.add_column("completed at", justify="right")
    table.add_column("ticket time", justify="right")
    table.add_column("fastest possible", justify="right")
    table.add_column("fastest with actual cook times", justify="right")
    for t in report.tickets[:limit]:
        table.add_row(mmss(t.completed_at), mmss(t.secs), mmss(t.bound), mmss(t.realized_bound))
    return table
