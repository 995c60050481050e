"""The figures of one simulated service: ticket times against their lower bound, queue waits,
utilization, throughput and requeues; plain data, ready for JSON."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


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
    """One completed order (seconds): when, how long from confirm, and its two lower bounds:
    the critical path of estimates and the critical path of the actual durations."""

    completed_at: float
    secs: float
    bound: float
    realized_bound: float


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
    passes: int
    throughput_per_min: float
    makespan_secs: float
    utilization: dict[str, ResourceUse]
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
