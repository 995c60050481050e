"""The settings of one simulated run, and the progress it reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SIM_EPOCH = datetime(2026, 1, 1, 11, 30, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """One run: ``minutes`` of arrivals at ``load`` (or ``rate_per_min``), then the kitchen
    works off what is left (at most ``overrun_minutes`` more)."""

    minutes: float = 60.0
    load: float | None = 0.7
    rate_per_min: float | None = None
    seed: int = 1
    policy: str = "ours"
    duration_sigma: float = 0.3
    reaction_mean_secs: float = 5.0
    disruptions: bool = True
    overrun_minutes: float = 240.0
    sample_secs: float = 15.0
    pace: str = "asap"  # every order's pace: "asap" or "together" (finish-together)


@dataclass(frozen=True, slots=True)
class Progress:
    """What a running simulation tells a progress display (times in seconds)."""

    now_secs: float
    window_secs: float
    arrived: int
    completed: int
    queue_length: int
    open_orders: int
