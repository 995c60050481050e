"""Priority with aging, the staff pick score and the efficiency update (DESIGN.md §3)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kangaroo_paw.domain.scoring import (
    Weights,
    aged_priority,
    v1_queue_key,
    staff_score,
    updated_efficiency,
    utilization,
)

AGING = 0.14


# -- exact vectors ---------------------------------------------------------------------------


def test_aged_priority_after_ten_seconds() -> None:
    assert aged_priority(20, 10, AGING) == pytest.approx(21.4)


def test_aged_priority_never_loses_credit_for_negative_wait() -> None:
    assert aged_priority(20, -5, AGING) == 20


def test_staff_score_with_default_weights() -> None:
    assert Weights() == Weights(load=1.2, util=0.9, eff=1.1)
    assert staff_score(1, 0.5, 1.0, Weights()) == pytest.approx(0.55)


def test_staff_score_weights_are_configurable() -> None:
    assert staff_score(2, 0.25, 2.0, Weights(load=1.0, util=4.0, eff=0.5)) == pytest.approx(2.0)


def test_efficiency_moving_average() -> None:
    assert updated_efficiency(1.10, 80, 100) == pytest.approx(1.055)


def test_efficiency_counts_actual_as_at_least_one_second() -> None:
    # estimate 2 s done in 0 s: the ratio is 2/1, not infinity.
    assert updated_efficiency(1.0, 2, 0) == pytest.approx(0.85 + 0.15 * 2)


@pytest.mark.parametrize(
    ("old", "estimate", "actual", "expected"),
    [
        (4.0, 10_000, 1, 4.0),  # absurdly fast: clamped high
        (3.9, 1000, 1, 4.0),
        (0.25, 1, 10_000, 0.25),  # absurdly slow: clamped low
        (0.3, 1, 1000, 0.85 * 0.3 + 0.15 * 0.001),  # still just inside the band
    ],
)
def test_efficiency_is_clamped(old: float, estimate: float, actual: float, expected: float) -> None:
    assert updated_efficiency(old, estimate, actual) == pytest.approx(expected)


def test_efficiency_clamp_band_is_configurable() -> None:
    assert updated_efficiency(1.0, 1000, 1, low=0.5, high=1.5) == 1.5
    assert updated_efficiency(1.0, 1, 1000, low=0.9, high=1.5) == 0.9


@given(
    old=st.floats(0.25, 4.0),
    estimate=st.floats(0.001, 1e6),
    actual=st.floats(0, 1e6),
)
def test_efficiency_always_stays_in_band(old: float, estimate: float, actual: float) -> None:
    assert 0.25 <= updated_efficiency(old, estimate, actual) <= 4.0


def test_utilization_is_share_of_shift_so_far() -> None:
    assert utilization(1800, 3600) == 0.5
    assert utilization(5, 0) == 5.0  # shift just began: divide by at least one second


# -- the aging key is time-invariant --------------------------------------------------------

priorities = st.floats(0, 200, allow_nan=False)
ready_times = st.floats(1.7e9, 1.7e9 + 86_400, allow_nan=False)


@given(
    tasks=st.lists(st.tuples(priorities, ready_times), min_size=2, max_size=12),
    now_offset=st.floats(0, 7 * 86_400),
)
def test_queue_key_orders_like_aged_priority_at_any_time(
    tasks: list[tuple[float, float]], now_offset: float
) -> None:
    """Ascending key = descending aged priority, for every ``now`` after the tasks are ready."""
    now = max(r for _, r in tasks) + now_offset
    for p1, r1 in tasks:
        for p2, r2 in tasks:
            aged1 = aged_priority(p1, now - r1, AGING)
            aged2 = aged_priority(p2, now - r2, AGING)
            # Skip near-ties that float rounding of the large epoch term may flip.
            assume(abs(aged1 - aged2) > 1e-4 or (p1, r1) == (p2, r2))
            key1, key2 = v1_queue_key(p1, r1, AGING), v1_queue_key(p2, r2, AGING)
            if aged1 > aged2:
                assert key1 < key2
            elif aged1 < aged2:
                assert key1 > key2


@given(
    p1=priorities,
    p2=priorities,
    r1=ready_times,
    r2=ready_times,
    t1=st.floats(0, 86_400),
    t2=st.floats(0, 86_400),
)
def test_pairwise_order_does_not_change_as_time_passes(
    p1: float, p2: float, r1: float, r2: float, t1: float, t2: float
) -> None:
    """Aging frozen at enqueue was a bug of the old system; here it cannot happen."""
    start = max(r1, r2)
    diff_at = [
        aged_priority(p1, start + t - r1, AGING) - aged_priority(p2, start + t - r2, AGING)
        for t in (t1, t2)
    ]
    assume(all(abs(d) > 1e-6 for d in diff_at))
    assert (diff_at[0] > 0) == (diff_at[1] > 0)
    assert (v1_queue_key(p1, r1, AGING) < v1_queue_key(p2, r2, AGING)) == (diff_at[0] > 0)


def test_older_task_overtakes_a_higher_base_priority_once_it_waited_long_enough() -> None:
    old = (10.0, 1_000.0)  # priority 10, ready at t=1000
    new = (20.0, 1_100.0)  # priority 20, ready 100 s later
    # At t=1100 the old one has earned 14 points: 24 > 20.
    assert aged_priority(10, 100, AGING) > aged_priority(20, 0, AGING)
    assert v1_queue_key(*old, AGING) < v1_queue_key(*new, AGING)
