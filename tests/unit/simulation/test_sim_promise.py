"""Promise accuracy from tickets: relative error percentiles, late share, bias."""

from __future__ import annotations

import math

import pytest

from kangaroo_paw.simulation.report import HORIZON_SECS, Ticket, promise_accuracy


def _ticket(secs: float, promised: float | None) -> Ticket:
    return Ticket(
        completed_at=0.0, secs=secs, bound=0.0, realized_bound=0.0, promised_secs=promised
    )


def test_errors_are_relative_to_the_actual_ticket_time() -> None:
    tickets = [
        _ticket(100.0, 100.0),  # exact
        _ticket(200.0, 100.0),  # 100 s late: error 0.5, late
        _ticket(100.0, 150.0),  # early: error 0.5, not late
        _ticket(300.0, 250.0),  # 50 s late: within the 60-s grace
        _ticket(100.0, None),  # no promise: left out
    ]
    accuracy = promise_accuracy(tickets)
    assert accuracy.n == 4
    # Errors sorted: 0, 1/6, 0.5, 0.5.
    assert accuracy.error_p50 == pytest.approx((1 / 6 + 0.5) / 2)
    assert accuracy.error_p90 == pytest.approx(0.5)
    assert accuracy.late_share == pytest.approx(0.25)
    assert accuracy.bias_mean == pytest.approx((0 + 0.5 - 0.5 + 50 / 300) / 4)
    assert accuracy.at_horizon_share == 0.0


def test_promises_at_the_forecast_horizon_are_counted_apart() -> None:
    tickets = [_ticket(100.0, 110.0), _ticket(100.0, 120.0), _ticket(200.0, HORIZON_SECS)]
    accuracy = promise_accuracy(tickets)
    assert accuracy.at_horizon_share == pytest.approx(1 / 3)
    assert accuracy.error_p90 > 10  # the horizon promise dominates the tail
    assert accuracy.error_p90_below_horizon == pytest.approx(0.19)  # errors 0.1 and 0.2


def test_no_promise_no_figures() -> None:
    accuracy = promise_accuracy([_ticket(100.0, None)])
    assert accuracy.n == 0
    assert math.isnan(accuracy.error_p50)


def test_the_best_constant_rescale_removes_a_pure_bias() -> None:
    # Every order 20 % slower than promised: a 1.2 rescale would have been exact.
    tickets = [_ticket(1.2 * p, p) for p in (100.0, 250.0, 400.0, 900.0)]
    accuracy = promise_accuracy(tickets)
    assert accuracy.error_p90 == pytest.approx(1 / 6)
    assert accuracy.best_scale == pytest.approx(1.2)
    assert accuracy.error_p90_at_best_scale == pytest.approx(0.0, abs=1e-9)
    assert accuracy.late_share_at_best_scale == 0.0


def test_spread_around_the_promise_is_not_a_rescale_away() -> None:
    # Half the orders 30 % early, half 30 % late: no factor makes the p90 small.
    tickets = [_ticket(70.0, 100.0), _ticket(130.0, 100.0)] * 5
    accuracy = promise_accuracy(tickets)
    assert 0.9 < accuracy.best_scale < 1.1
    assert accuracy.error_p90_at_best_scale > 0.2


def test_horizon_promises_are_not_rescaled() -> None:
    tickets = [_ticket(100.0, 100.0), _ticket(200.0, HORIZON_SECS)]
    accuracy = promise_accuracy(tickets)
    assert accuracy.best_scale == 1.0  # the nearest to 1 among equally good factors
