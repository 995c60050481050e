"""Priority with aging, the staff pick score and the efficiency update, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Weights:
    """Staff pick weights (lower score wins)."""

    load: float = 1.2
    util: float = 0.9
    eff: float = 1.1


def aged_priority(priority: float, waited_secs: float, aging_factor: float) -> float:
    """Current priority of a ready task: its priority plus the credit it earned by waiting."""
    return priority + aging_factor * max(0.0, waited_secs)


def queue_key(priority: float, ready_at_epoch: float, aging_factor: float) -> float:
    """Time-invariant sort key (ascending = pick first).

    Every ready task ages at the same rate, so ``priority + a*(now - ready_at)`` orders tasks
    exactly as ``priority - a*ready_at`` does, for every ``now``: no refresh job is needed.
    """
    return -(priority - aging_factor * ready_at_epoch)


def utilization(active_secs: float, secs_since_shift_start: float) -> float:
    """Share of the shift so far that the cook spent on tasks."""
    return active_secs / max(1.0, secs_since_shift_start)


def staff_score(
    active_tasks: int, utilization_ratio: float, efficiency: float, weights: Weights
) -> float:
    """Lower is a better pick: lightly loaded, under-used, efficient cooks first."""
    return weights.load * active_tasks + weights.util * utilization_ratio - weights.eff * efficiency


def updated_efficiency(
    old: float,
    estimate_secs: float,
    actual_secs: float,
    low: float = 0.25,
    high: float = 4.0,
) -> float:
    """Exponential moving average of estimate/actual, clamped so one odd task cannot poison it."""
    ratio = estimate_secs / max(1.0, actual_secs)
    return min(high, max(low, 0.85 * old + 0.15 * ratio))
