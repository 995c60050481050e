"""The dispatch key, the staff pick score and the efficiency update, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

# (score, rank): ascending = pick first. The score is a float (a Redis sorted-set score); the
# rank is an ASCII string that Redis compares byte by byte among equal scores, as Python does.
SortKey = tuple[float, str]

DEFAULT_RUSH_CREDIT_SECS = 180.0
# Seconds of score per second of the order's critical path: of orders confirmed together
# (within a fraction of a second: a 10-minute order counts 0.6 s newer) the shortest goes
# first, which the sum of ticket times rewards; across any longer gap the older order goes
# first. Measured: larger weights (0.01-1) cost the café at 90 % load (docs/scheduling.md).
ORDER_PATH_WEIGHT = 0.001
_TAIL_DIGITS = 10  # milliseconds of remaining path: recipes are bounded far below 10^7 s
_PRIORITY_DIGITS = 10  # (1e6 - base_priority) in thousandths: base_priority is within ±1e6

# How a cook's efficiency learns from a completion (``updated_efficiency``).
EFFICIENCY_WEIGHT = 0.15  # the newest task's weight in the moving average
MAX_EFFICIENCY_STEP = 0.05  # one task moves the multiplier by at most 5 % of its value
MIN_PLAUSIBLE_SHARE = 0.25  # a task done in under a quarter of its estimate does not train it


@dataclass(frozen=True, slots=True)
class Weights:
    """Staff pick weights (lower score wins)."""

    load: float = 1.2
    util: float = 0.9
    eff: float = 1.1


def aged_priority(priority: float, waited_secs: float, aging_factor: float) -> float:
    """Current priority of a ready task: its priority plus the credit it earned by waiting."""
    return priority + aging_factor * max(0.0, waited_secs)


def dispatch_key(
    confirmed_at_epoch: float,
    rush_credit_secs: float,
    order_id: UUID,
    tail_secs: float,
    base_priority: float,
    task_id: UUID,
    order_path_secs: float = 0.0,
) -> SortKey:
    """Order-age-first: the production pick order of a ready task (ascending = pick first).

    Score: the order's confirm time minus its rush credit plus ``ORDER_PATH_WEIGHT`` times the
    order's critical path (``order_path_secs``, fixed at confirm; 0 for tasks confirmed before
    it was recorded), so an older order's tasks go before a newer order's, a rushed order
    counts as ``rush_credit_secs`` older, and of orders confirmed together the one with the
    shorter critical path goes first. Ties (in the rank
    string): confirm time, order id (one order's tasks stay together), the longest remaining
    path to the end of the item first, higher ``base_priority`` first, task id. Nothing in it
    depends on the time a task became ready, so the key is fixed at confirm (changed only by a
    rush) and a stale requeue keeps the task's place.
    """
    micros = max(0, round(confirmed_at_epoch * 1_000_000))
    tail = min(10**_TAIL_DIGITS - 1, max(0, round(tail_secs * 1000)))
    urgency = min(10**_PRIORITY_DIGITS - 1, max(0, round((1e6 - base_priority) * 1000)))
    rank = (
        f"{micros:017d}|{order_id}|{10**_TAIL_DIGITS - 1 - tail:0{_TAIL_DIGITS}d}"
        f"|{urgency:0{_PRIORITY_DIGITS}d}|{task_id}"
    )
    return confirmed_at_epoch - rush_credit_secs + ORDER_PATH_WEIGHT * order_path_secs, rank


def v1_queue_key(priority: float, ready_at_epoch: float, aging_factor: float) -> float:
    """The first version's key, kept for the simulator's ``v1`` and ``original`` policies.

    It ages a task from its own ready time, so a new order's first steps overtake an older
    order's finishing steps (measured: it dispatches no better than FIFO).

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


def plausible_duration(estimate_secs: float, actual_secs: float) -> bool:
    """A completion the efficiency may learn from: it took at least ``MIN_PLAUSIBLE_SHARE`` of
    the estimate. Anything faster (a start and complete pressed back to back) says nothing about
    the cook's speed; it is recorded all the same, it only does not train the multiplier."""
    return actual_secs >= MIN_PLAUSIBLE_SHARE * estimate_secs


def updated_efficiency(
    old: float,
    estimate_secs: float,
    actual_secs: float,
    low: float = 0.25,
    high: float = 4.0,
) -> float:
    """The cook's multiplier after a task: an exponential moving average of estimate/actual
    (actual counted as at least one second), moved by at most ``MAX_EFFICIENCY_STEP`` of its
    value and kept within [low, high], so no single task, however odd, can swing it; an
    implausibly fast completion (see ``plausible_duration``) leaves it as it was."""
    if not plausible_duration(estimate_secs, actual_secs):
        return old
    ratio = estimate_secs / max(1.0, actual_secs)
    target = (1 - EFFICIENCY_WEIGHT) * old + EFFICIENCY_WEIGHT * ratio
    limit = MAX_EFFICIENCY_STEP * old
    step = min(limit, max(-limit, target - old))
    return min(high, max(low, old + step))
