"""The figures of one simulated service: ticket times against their lower bounds, promise
accuracy, queue waits, utilization, throughput and requeues; plain data, ready for JSON."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kangaroo_paw.domain.forecast import ForecastParams


@dataclass(frozen=True, slots=True)
class Summary:
    """Distribution of a sample (seconds): mean and nearest-rank-interpolated percentiles."""

    n: int = 0
    mean: float = 0.0
    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    max: float = 0.0


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks; ``ordered`` sorted ascending."""
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary()
    return Summary(
        n=len(ordered),
        mean=sum(ordered) / len(ordered),
        p50=percentile(ordered, 0.5),
        p90=percentile(ordered, 0.9),
        p99=percentile(ordered, 0.99),
        max=ordered[-1],
    )


@dataclass(frozen=True, slots=True)
class Ticket:
    """One completed order (seconds): when, how long from confirm, its two lower bounds (the
    critical path of estimates and the critical path of the actual durations) and the ticket
    time promised at confirm (None: no promise)."""

    completed_at: float
    secs: float
    bound: float
    realized_bound: float
    promised_secs: float | None = None


LATE_GRACE_SECS = 60.0  # a ticket counts as late when ready after its promise plus this
HORIZON_SECS = ForecastParams().horizon_secs  # the promise when the forecast sees no end


@dataclass(frozen=True, slots=True)
class PromiseAccuracy:
    """How the promises held, over the completed orders that had one: the relative error
    |actual - promised| / actual at p50 and p90, the share of orders ready later than promised
    + ``LATE_GRACE_SECS``, the mean signed error (actual - promised) / actual, and the share of
    promises at the forecast's horizon (work it saw no way to finish: a machine down, the only
    cook for a step on a break of unknown end) with the p90 error of the others.

    ``best_scale``: the factor on every promise below the horizon (of ``SCALES``) that gives
    the lowest |error| p90, with that p90 and late share: the best a different constant margin
    could have done on these same orders. When it is close to 1 and the p90 barely drops, the
    error is spread (noise the forecast cannot know), not bias a margin could remove."""

    n: int = 0
    error_p50: float = math.nan
    error_p90: float = math.nan
    late_share: float = math.nan
    bias_mean: float = math.nan
    at_horizon_share: float = math.nan
    error_p90_below_horizon: float = math.nan
    best_scale: float = math.nan
    error_p90_at_best_scale: float = math.nan
    late_share_at_best_scale: float = math.nan


# Factors tried on the promises for ``best_scale``: 0.80 to 1.30 in steps of 0.01.
SCALES = tuple(round(0.8 + 0.01 * k, 2) for k in range(51))


def promise_accuracy(
    tickets: Iterable[Ticket], horizon_secs: float = HORIZON_SECS
) -> PromiseAccuracy:
    pairs = [(t.secs, t.promised_secs) for t in tickets if t.promised_secs is not None]
    pairs = [(actual, promised) for actual, promised in pairs if actual > 0]
    if not pairs:
        return PromiseAccuracy()
    errors = sorted(abs(actual - promised) / actual for actual, promised in pairs)
    below = sorted(
        abs(actual - promised) / actual for actual, promised in pairs if promised < horizon_secs
    )
    scaled = [
        (_p90_and_late(pairs, scale, horizon_secs), abs(scale - 1), scale) for scale in SCALES
    ]
    (best_p90, best_late), _, best = min(scaled)
    return PromiseAccuracy(
        n=len(pairs),
        error_p50=percentile(errors, 0.5),
        error_p90=percentile(errors, 0.9),
        late_share=_late(pairs),
        bias_mean=sum((actual - promised) / actual for actual, promised in pairs) / len(pairs),
        at_horizon_share=1 - len(below) / len(pairs),
        error_p90_below_horizon=percentile(below, 0.9) if below else math.nan,
        best_scale=best,
        error_p90_at_best_scale=best_p90,
        late_share_at_best_scale=best_late,
    )


def _late(pairs: Sequence[tuple[float, float]]) -> float:
    late = sum(1 for actual, promised in pairs if actual > promised + LATE_GRACE_SECS)
    return late / len(pairs)


def _p90_and_late(
    pairs: Sequence[tuple[float, float]], scale: float, horizon_secs: float
) -> tuple[float, float]:
    """|error| p90 and late share with every promise below the horizon times ``scale``."""
    moved = [(a, p * scale if p < horizon_secs else p) for a, p in pairs]
    return percentile(sorted(abs(a - p) / a for a, p in moved), 0.9), _late(moved)


@dataclass(frozen=True, slots=True)
class CapacityBound:
    """The capacity-aware bound on one run's tickets (``lpbound``): totals over ``orders``
    (seconds) and what the LP cost."""

    orders: int
    total: float  # lower bound on the sum of ticket times (the LP, or the paths if no LP)
    path_total: float  # sum of the per-order path bounds
    optimal: bool  # False: no LP was solved to optimality, ``total`` is the path bound
    slots: int = 0
    variables: int = 0
    rounds: int = 0
    wall_secs: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.orders if self.orders else math.nan

    @property
    def path_mean(self) -> float:
        return self.path_total / self.orders if self.orders else math.nan


@dataclass(frozen=True, slots=True)
class ResourceUse:
    """Shares of the arrival window: slots held (assigned or started), slots busy (started)
    and time out of service (a machine down, a cook on break)."""

    kind: str
    capacity: int
    held: float
    busy: float
    out_of_service: float


@dataclass(slots=True)
class SimReport:
    """Everything one run measured; ``to_dict`` is its JSON form."""

    scenario: str
    policy: str
    seed: int
    minutes: float
    load: float
    rate_per_min: float
    bottleneck: str
    workload_digest: str
    orders_arrived: int
    orders_completed: int
    tasks_completed: int
    ticket: Summary
    bound: Summary
    ticket_to_bound: float
    realized_bound: Summary
    ready_wait: Summary
    mean_queue_length: float
    requeues: int
    hand_backs: int  # unstarted tasks a cook going on break gave back
    passes: int
    throughput_per_min: float
    makespan_secs: float
    utilization: dict[str, ResourceUse]
    promise: PromiseAccuracy = field(default_factory=PromiseAccuracy)
    capacity_bound: CapacityBound | None = None  # set by the study (one LP per workload)
    ticket_to_capacity_bound: float = math.nan
    wall_secs: float = 0.0
    timeline: list[tuple[float, int, int]] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def orders_unfinished(self) -> int:
        return self.orders_arrived - self.orders_completed

    def to_dict(self, detail: bool = True) -> dict[str, Any]:
        """JSON-ready; ``detail`` keeps the timeline and the per-order tickets."""
        data = asdict(self)
        data["orders_unfinished"] = self.orders_unfinished
        if not detail:
            data.pop("timeline")
            data.pop("tickets")
        return data

    def figures(self) -> dict[str, Any]:
        """The headline numbers, the same for every report (no timing, no timeline)."""
        return {k: v for k, v in self.to_dict(detail=False).items() if k not in ("wall_secs",)}


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


# What each dispatch policy does, in a kitchen's words (the CLI and JSON keep the short names).
POLICY_WORDS = {
    "ours": "oldest order first",
    "age": "oldest order first, no shortest-of-a-batch tie-in",
    "v1": "task priority + waiting time (first version)",
    "original": "top 20 by priority (original)",
    "fifo": "ticket rail: first ready, first cooked",
    "srpt": "nearest to done first",
    "lst": "tightest deadline first",
}


def policy_words(policy: str) -> str:
    """A policy's name for a manager (its short name if it has no description)."""
    return POLICY_WORDS.get(policy, policy)


def bottleneck_words(bottleneck: str) -> str:
    """The busiest resource of a load profile (``counter fryer``, ``machine grill-1``,
    ``cooks for fryer+griller``) as a phrase: which part of the kitchen limits the service."""
    if bottleneck.startswith("cooks for "):
        counters = bottleneck.removeprefix("cooks for ").split("+")
        listed = counters[0] if len(counters) == 1 else ", ".join(counters[:-1])
        if len(counters) > 1:
            listed += f" and {counters[-1]}"
        return f"the cooks who work {listed}"
    kind, _, name = bottleneck.partition(" ")
    if kind == "counter":
        return f"the {name} counter"
    if kind == "machine":
        return f"the machine {name}"
    return bottleneck
