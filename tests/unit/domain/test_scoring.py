"""Priority with aging, the staff pick score and the efficiency update (docs/domain.md)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kangaroo_paw.domain.scoring import (
    ORDER_PATH_WEIGHT,
    Weights,
    aged_priority,
    dispatch_key,
    staff_score,
    updated_efficiency,
    utilization,
    v1_queue_key,
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
    # estimate 2 s done in 0.6 s (plausible: over a quarter): the ratio is 2/1, not 3.33.
    assert updated_efficiency(1.9, 2, 0.6) == pytest.approx(0.85 * 1.9 + 0.15 * 2)


@pytest.mark.parametrize(
    ("old", "estimate", "actual", "expected"),
    [
        (4.0, 100, 25, 4.0),  # as fast as plausible: clamped high
        (0.25, 1, 10_000, 0.25),  # absurdly slow: clamped low
        (0.26, 10, 100, 0.25),  # one bounded step down, then the clamp
    ],
)
def test_efficiency_is_clamped(old: float, estimate: float, actual: float, expected: float) -> None:
    assert updated_efficiency(old, estimate, actual) == pytest.approx(expected)


def test_efficiency_clamp_band_is_configurable() -> None:
    assert updated_efficiency(1.45, 100, 50, low=0.5, high=1.5) == 1.5
    assert updated_efficiency(0.92, 50, 100, low=0.9, high=1.5) == 0.9


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


# -- order-age-first (the production key) ----------------------------------------------------

confirm_times = st.floats(1.7e9, 1.7e9 + 86_400, allow_nan=False).map(lambda t: round(t, 6))
tails = st.floats(0.001, 8_000, allow_nan=False)
credits = st.sampled_from([0.0, 180.0])


@given(c1=confirm_times, c2=confirm_times, t1=tails, t2=tails, p1=priorities, p2=priorities)
def test_an_older_order_goes_first_whatever_its_steps(
    c1: float, c2: float, t1: float, t2: float, p1: float, p2: float
) -> None:
    """Without rush, the order's age decides: no step of a newer order overtakes an older
    order's step, whatever their remaining paths or base priorities."""
    assume(c1 != c2)
    a = dispatch_key(c1, 0.0, uuid.uuid4(), t1, p1, uuid.uuid4())
    b = dispatch_key(c2, 0.0, uuid.uuid4(), t2, p2, uuid.uuid4())
    assert (a < b) == (c1 < c2)


@given(c1=confirm_times, gap=st.floats(0.001, 179.0), r1=credits)
def test_a_rush_counts_as_its_credit_of_age(c1: float, gap: float, r1: float) -> None:
    """A rushed order confirmed ``gap`` < 180 s after a normal one goes first; the credit
    does not carry it past an order older than the credit."""
    normal = dispatch_key(c1, 0.0, uuid.uuid4(), 10, 0, uuid.uuid4())
    rushed = dispatch_key(c1 + gap, 180.0, uuid.uuid4(), 10, 0, uuid.uuid4())
    assert rushed < normal
    much_older = dispatch_key(c1 - 180.001 + gap, r1, uuid.uuid4(), 10, 0, uuid.uuid4())
    assert much_older < rushed


def test_of_orders_confirmed_together_the_shorter_critical_path_goes_first() -> None:
    """Orders confirmed in the same instant go shortest first (the sum of ticket times is
    smaller); the tilt is ``ORDER_PATH_WEIGHT`` s per s of path, so an order confirmed more
    than that many seconds earlier still goes first, and a path of 0 (a task stored before
    the path was recorded) leaves the key as it was."""
    long_path, short_path = 600.0, 100.0
    tilt = ORDER_PATH_WEIGHT * (long_path - short_path)  # 0.5 s
    short = dispatch_key(1.7e9, 0.0, uuid.uuid4(), 10, 0, uuid.uuid4(), short_path)
    together = dispatch_key(1.7e9, 0.0, uuid.uuid4(), 500, 0, uuid.uuid4(), long_path)
    assert short < together
    earlier = dispatch_key(1.7e9 - tilt - 0.1, 0.0, uuid.uuid4(), 500, 0, uuid.uuid4(), long_path)
    assert earlier < short
    moment = dispatch_key(1.7e9 - tilt + 0.1, 0.0, uuid.uuid4(), 500, 0, uuid.uuid4(), long_path)
    assert short < moment
    assert dispatch_key(1.7e9, 180.0, uuid.UUID(int=1), 10, 0, uuid.UUID(int=2))[0] == 1.7e9 - 180


def test_within_an_order_the_longest_remaining_path_goes_first() -> None:
    order = uuid.uuid4()
    fries = dispatch_key(1.7e9, 0, order, 125, 18, uuid.uuid4())
    patty = dispatch_key(1.7e9, 0, order, 115, 20, uuid.uuid4())
    bun = dispatch_key(1.7e9, 0, order, 60, 16, uuid.uuid4())
    assert sorted([bun, patty, fries]) == [fries, patty, bun]
    # base_priority only breaks a tie of remaining path: higher first.
    high = dispatch_key(1.7e9, 0, order, 60, 30, uuid.uuid4())
    assert high < bun


def test_the_key_is_a_float_score_and_an_ascii_rank_ending_with_the_task_id() -> None:
    task = uuid.UUID(int=7)
    score, rank = dispatch_key(1_767_268_800.25, 180.0, uuid.UUID(int=1), 125.0, 18.0, task)
    assert score == 1_767_268_800.25 - 180.0
    assert rank.isascii()
    assert rank.endswith(str(task))
    assert rank.startswith("01767268800250000|00000000-0000-0000-0000-000000000001|")
