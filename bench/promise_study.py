"""Where does the promise's error come from? Simulated services of the demo kitchen with the
sources of noise switched off one at a time, each order's raw forecast (no margin) recorded at
confirm, and promise margins scored offline on the same records.

    PYTHONPATH=src python -m bench.promise_study --load 0.5 0.7 0.9 --seeds 1 2 3 4 5 \
        --minutes 60 --save records.json           # simulate (about 1 min of CPU per run)
    PYTHONPATH=src python -m bench.promise_study --records records.json   # score again

A promise does not change the schedule (asap pace), so one run per (variant, seed, load) gives
the forecast and the actual ticket of every order, and any promise = forecast * (1 + margin)
is scored on the same records without simulating again. Variants: the simulator's duration
draws (lognormal, sigma 0.3) off; reaction delays at their mean instead of drawn; breaks and
machine failures off; a forecast told every task's actual duration (an oracle: the floor for
any promise that does not know them); everything off (what is left is the orders that arrive
after the promise was made).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from kangaroo_paw.domain.forecast import KitchenSnapshot
from kangaroo_paw.domain.task import Task
from kangaroo_paw.simulation import engine
from kangaroo_paw.simulation.engine import SimConfig, Simulation, promise_policy
from kangaroo_paw.simulation.report import PromiseAccuracy, Ticket, promise_accuracy
from kangaroo_paw.simulation.scenario import demo_scenario, load_scenario
from kangaroo_paw.simulation.workload import duration_secs


@dataclass(frozen=True, slots=True)
class Variant:
    """Which sources of error a run keeps."""

    sigma: float = 0.3  # the simulator's lognormal duration noise
    drawn_reactions: bool = True  # False: every reaction takes exactly its mean
    disruptions: bool = True  # breaks and machine failures
    oracle: bool = False  # the forecast knows every task's actual duration


VARIANTS = {
    "base": Variant(),
    "sigma0": Variant(sigma=0.0),
    "const_reaction": Variant(drawn_reactions=False),
    "no_disruptions": Variant(disruptions=False),
    "durations_only": Variant(drawn_reactions=False, disruptions=False),
    "oracle_durations": Variant(oracle=True),
    "all_off": Variant(sigma=0.0, drawn_reactions=False, disruptions=False),
}
MARGINS = tuple(round(0.025 * k, 3) for k in range(-4, 13))  # -0.1 .. 0.3


@contextmanager
def _reactions(drawn: bool) -> Iterator[None]:
    """Reaction delays as drawn, or each exactly its mean (the simulator looks them up here)."""
    original = getattr(engine, "reaction_secs")  # noqa: B009 (the name the engine calls)
    if not drawn:
        setattr(engine, "reaction_secs", lambda seed, task_id, no, mean: mean)  # noqa: B010
    try:
        yield
    finally:
        setattr(engine, "reaction_secs", original)  # noqa: B010


class _Recording(Simulation):
    """A simulation that keeps each order's raw forecast (run it with margin 0) and, for the
    oracle, tells the forecast every task's actual duration instead of its estimate."""

    def __init__(self, *args: Any, oracle: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.confirmed: dict[Any, float] = {}
        if oracle:
            kitchen = self.kitchen
            original: Callable[[Sequence[Task], datetime], KitchenSnapshot]
            original = kitchen.kitchen_snapshot
            sigma, seed = self.config.duration_sigma, self.config.seed

            def actual(new_tasks: Sequence[Task], now: datetime) -> KitchenSnapshot:
                snap = original(new_tasks, now)
                tasks = [
                    replace(t, estimate_secs=duration_secs(seed, t.task_id, t.estimate_secs, sigma))
                    for t in snap.tasks
                ]
                return replace(snap, tasks=tasks)

            kitchen.kitchen_snapshot = actual  # type: ignore[method-assign]


def run_one(
    variant: str, seed: int, load: float, minutes: float, scenario: str | None = None
) -> list[dict[str, float]]:
    """One service; per completed order with a promise: its raw forecast and actual ticket."""
    v = VARIANTS[variant]
    kitchen = load_scenario(Path(scenario)) if scenario else demo_scenario()
    config = SimConfig(
        minutes=minutes, load=load, seed=seed, duration_sigma=v.sigma, disruptions=v.disruptions
    )
    policy = replace(promise_policy(kitchen, config), promise_margin=0.0)
    with _reactions(v.drawn_reactions):
        sim = _Recording(kitchen, config, policy, oracle=v.oracle)
        sim.run()
    obs = sim.observer
    return [
        {"forecast": forecast, "actual": obs.completed_at[o] - obs.confirmed_at[o]}
        for o, forecast in sim.promises.items()
        if forecast is not None and o in obs.completed_at
    ]


def accuracy(records: Sequence[dict[str, float]], margin: float) -> PromiseAccuracy:
    """The simulator's promise figures for promise = forecast * (1 + margin)."""
    return promise_accuracy(
        Ticket(0.0, r["actual"], 0.0, 0.0, r["forecast"] * (1 + margin)) for r in records
    )


def best_margin(records: Sequence[dict[str, float]]) -> tuple[float, PromiseAccuracy]:
    """The constant margin (of ``MARGINS``) with the lowest |error| p90 on ``records``."""
    scored = [(m, accuracy(records, m)) for m in MARGINS]
    return min(scored, key=lambda s: (s[1].error_p90, abs(s[0])))


def table(results: dict[str, list[dict[str, float]]], margin: float) -> list[str]:
    """Markdown rows: per variant and load, the figures at ``margin`` and at the best margin
    (``results`` keys are ``variant|seed|load``; seeds are pooled)."""
    pooled: dict[tuple[str, float], list[dict[str, float]]] = {}
    for key, records in results.items():
        variant, _, load = key.split("|")
        pooled.setdefault((variant, float(load)), []).extend(records)
    lines = [
        f"| variant | load | orders | p50 at {margin:g} | p90 at {margin:g} | late at {margin:g} "
        "| mean (actual - forecast) / actual | best margin | p90 at best | late at best |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {name: k for k, name in enumerate(VARIANTS)}
    for variant, load_share in sorted(pooled, key=lambda k: (k[1], order.get(k[0], 99))):
        records = pooled[(variant, load_share)]
        at, raw = accuracy(records, margin), accuracy(records, 0.0)
        best, top = best_margin(records)
        lines.append(
            f"| {variant} | {load_share:.0%} | {at.n} | {at.error_p50:.1%} | {at.error_p90:.1%} "
            f"| {at.late_share:.1%} | {raw.bias_mean:+.1%} | {best:g} | {top.error_p90:.1%} "
            f"| {top.late_share:.1%} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--load", type=float, nargs="+", default=[0.7])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--scenario", help="a scenario TOML (default: the demo kitchen)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--margin", type=float, default=0.1, help="the margin to score at")
    ap.add_argument("--save", help="write the per-order records (JSON) here")
    ap.add_argument("--records", nargs="+", help="score saved records instead of simulating")
    args = ap.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {}
    if args.records:
        for path in args.records:
            results.update(json.loads(Path(path).read_text()))
    else:
        jobs = [(v, s, ld) for ld in args.load for v in args.variants for s in args.seeds]
        with ProcessPoolExecutor(args.workers) as pool:
            futures = {j: pool.submit(run_one, *j, args.minutes, args.scenario) for j in jobs}
            results = {f"{v}|{s}|{ld}": f.result() for (v, s, ld), f in futures.items()}
        if args.save:
            Path(args.save).write_text(json.dumps(results))
    sys.stdout.write("\n".join(table(results, args.margin)) + "\n")


if __name__ == "__main__":
    main()
