"""The tunables of the scheduling policy and the input limits, as the application sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

from kangaroo_paw.domain.scoring import DEFAULT_RUSH_CREDIT_SECS, Weights


@dataclass(frozen=True, slots=True)
class Policy:
    """Built once from ``Settings`` by the composition root (or directly by tests)."""

    assignment_ttl_secs: float = 45.0
    aging_factor: float = 0.14
    requeue_boost: float = 10.0
    rush_boost: float = 25.0  # the first version's rush (simulator comparison only)
    rush_credit_secs: float = DEFAULT_RUSH_CREDIT_SECS  # a rushed order counts as this much older
    promise_on_confirm: bool = True  # predict promised_ready_at at confirm (simulate forward)
    promise_reaction_secs: float = 5.0  # expected delay from assignment to a cook's start
    promise_margin: float = 0.1  # promise = forecast * (1 + margin): the forecast runs early
    promise_break_secs: float = 900.0  # expected length of a cook's break (forecast)
    promise_repair_secs: float = 600.0  # expected time a machine stays down (forecast)
    weights: Weights = field(default_factory=Weights)
    efficiency_min: float = 0.25
    efficiency_max: float = 4.0
    max_qty_per_line: int = 50
    max_lines_per_order: int = 100
    max_tasks_per_order: int = 2000
    conflict_retries: int = 8
    recall_window_secs: float = 120.0  # a completion may be recalled this long after it
    pace: str = "asap"  # an order's pace when its confirm names none (KP_PACE)
