"""A cook's efficiency learns from honest completions and cannot be gamed (issue 12, item 8):
one task moves it by a bounded step, and an implausibly fast completion (a start and complete
pressed back to back) is recorded but does not train it."""

from __future__ import annotations

import uuid

import pytest
from domain_builders import at, make_staff
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain.scoring import (
    MAX_EFFICIENCY_STEP,
    MIN_PLAUSIBLE_SHARE,
    plausible_duration,
    updated_efficiency,
)
from kangaroo_paw.domain.staff import Staff

LOW, HIGH = 0.25, 4.0
olds = st.floats(LOW, HIGH)
estimates = st.floats(1, 3600)


def finish_one(cook: Staff, estimate: float, actual: float, started: float = 0.0) -> None:
    task = uuid.uuid4()
    cook.take(task, "griller", at(started))
    cook.finish(task, estimate, actual, at(started + actual))


@given(old=olds, estimate=estimates, actual=st.floats(0, 1e6))
def test_one_task_moves_efficiency_by_at_most_the_step(
    old: float, estimate: float, actual: float
) -> None:
    new = updated_efficiency(old, estimate, actual, LOW, HIGH)
    assert abs(new - old) <= MAX_EFFICIENCY_STEP * old + 1e-12
    assert LOW <= new <= HIGH


@given(old=olds, estimate=estimates, share=st.floats(0, MIN_PLAUSIBLE_SHARE, exclude_max=True))
def test_an_implausibly_fast_completion_does_not_train(
    old: float, estimate: float, share: float
) -> None:
    assert not plausible_duration(estimate, estimate * share)
    assert updated_efficiency(old, estimate, estimate * share, LOW, HIGH) == old


@given(old=st.floats(0.5, 3.0), estimate=st.floats(60, 3600), speed=st.floats(0.3, 3.9))
def test_a_plausibly_fast_task_raises_efficiency_and_a_slow_one_lowers_it(
    old: float, estimate: float, speed: float
) -> None:
    """``speed`` is estimate/actual: above the cook's multiplier it raises it, below lowers."""
    actual = estimate / speed
    assert plausible_duration(estimate, actual)
    if speed > old * 1.01:
        assert updated_efficiency(old, estimate, actual, LOW, HIGH) > old
    if speed < old * 0.99:
        assert updated_efficiency(old, estimate, actual, LOW, HIGH) < old


def test_the_threshold_is_a_quarter_of_the_estimate() -> None:
    assert plausible_duration(100, 25)
    assert not plausible_duration(100, 24.9)
    assert updated_efficiency(1.0, 100, 25) == pytest.approx(1.05)  # ratio 4, one full step


def test_a_hundred_instant_completions_leave_efficiency_where_it_was() -> None:
    cook = make_staff(efficiency=1.1)
    for n in range(100):
        finish_one(cook, estimate=60 + n, actual=0.0 if n % 2 else 0.05, started=n)
    assert cook.efficiency == pytest.approx(1.1, abs=1e-9)
    # Every completion is still recorded, with its duration, and counts toward utilization.
    finished = [e for e in cook.collect_events() if isinstance(e, Staff.TaskFinished)]
    assert len(finished) == 100
    assert {e.actual_secs for e in finished} == {0.0, 0.05}
    assert cook.active_secs == pytest.approx(50 * 0.05)


def test_the_old_unbounded_rule_would_have_jumped_to_the_clamp() -> None:
    """The regression itself: one instant 300 s task used to take 1.1 straight to 4.0."""
    cook = make_staff(efficiency=1.1)
    finish_one(cook, estimate=300, actual=0.0)
    assert cook.efficiency == 1.1
    finish_one(cook, estimate=300, actual=75)  # four times faster, plausibly: one step
    assert cook.efficiency == pytest.approx(1.1 * (1 + MAX_EFFICIENCY_STEP))


def test_an_honest_cook_converges_to_their_speed() -> None:
    fast, slow = make_staff(efficiency=1.0), make_staff(efficiency=1.0)
    for n in range(200):
        finish_one(fast, estimate=90, actual=60, started=n)  # 1.5 times the estimate's speed
        finish_one(slow, estimate=60, actual=90, started=n)  # two thirds of it
    assert fast.efficiency == pytest.approx(1.5, rel=0.01)
    assert slow.efficiency == pytest.approx(2 / 3, rel=0.01)
