"""Shift windows: daily (wrapping midnight, equal ends = all day) and explicit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain.errors import InvalidResource
from kangaroo_paw.domain.shifts import ALL_DAY, Shift


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


def test_daily_window() -> None:
    shift = Shift.parse("08:00", "16:00")
    assert shift.is_daily
    assert not shift.on_shift(utc(1, 7, 59, 59))
    assert shift.on_shift(utc(1, 8))
    assert shift.on_shift(utc(1, 15, 59, 59))
    assert not shift.on_shift(utc(1, 16))  # the end is exclusive
    assert shift.window_at(utc(3, 12)) == (utc(3, 8), utc(3, 16))


def test_daily_window_wraps_around_midnight() -> None:
    shift = Shift.parse("22:00", "06:00")
    assert shift.on_shift(utc(1, 23))
    assert shift.on_shift(utc(2, 0))
    assert shift.on_shift(utc(2, 5, 59))
    assert not shift.on_shift(utc(2, 6))
    assert not shift.on_shift(utc(2, 21, 59))
    assert shift.on_shift(utc(2, 22))
    # After midnight the window is the one that began yesterday evening.
    assert shift.window_at(utc(2, 2)) == (utc(1, 22), utc(2, 6))
    assert shift.window_at(utc(1, 23)) == (utc(1, 22), utc(2, 6))


def test_equal_ends_mean_all_day() -> None:
    assert ALL_DAY.on_shift(utc(1, 0))
    assert ALL_DAY.on_shift(utc(1, 23, 59, 59))
    assert ALL_DAY.window_at(utc(5, 13)) == (utc(5, 0), utc(6, 0))
    assert Shift.parse("09:30", "09:30").on_shift(utc(1, 9, 29))


def test_seconds_are_accepted() -> None:
    shift = Shift.parse("08:00:30", "08:01")
    assert not shift.on_shift(utc(1, 8, 0, 29))
    assert shift.on_shift(utc(1, 8, 0, 30))


def test_explicit_window() -> None:
    shift = Shift.parse("2026-01-01T08:00:00Z", "2026-01-01T18:00:00+02:00")
    assert not shift.is_daily
    assert shift.end == "2026-01-01T16:00:00+00:00"  # normalised to UTC
    assert not shift.on_shift(utc(1, 7, 59))
    assert shift.on_shift(utc(1, 8))
    assert shift.on_shift(utc(1, 15, 59))
    assert not shift.on_shift(utc(1, 16))
    assert not shift.on_shift(utc(2, 12))  # it does not recur
    assert shift.window_at(utc(1, 9)) == (utc(1, 8), utc(1, 16))


def test_explicit_window_across_midnight() -> None:
    shift = Shift.parse("2026-01-01T20:00:00Z", "2026-01-02T04:00:00Z")
    assert shift.on_shift(utc(2, 1))
    assert not shift.on_shift(utc(2, 20, 30))


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("08:00", "2026-01-01T16:00:00Z", "must both be HH:MM or both datetimes"),
        ("2026-01-01T16:00:00Z", "2026-01-01T08:00:00Z", "after shift_start"),
        ("2026-01-01T08:00:00Z", "2026-01-01T08:00:00Z", "after shift_start"),
        ("2026-01-01T08:00:00", "2026-01-01T16:00:00", "needs a UTC offset"),
        ("24:00", "08:00", "must both be HH:MM"),
        ("24:00", "25:00", "neither HH:MM nor"),
        ("8am", "4pm", "neither HH:MM nor"),
        ("0001-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z", "out of range"),
    ],
)
def test_bad_shifts_are_rejected(start: str, end: str, match: str) -> None:
    with pytest.raises(InvalidResource, match=match):
        Shift.parse(start, end)


minutes = st.integers(0, 24 * 60 - 1)


@given(start=minutes, end=minutes, at_minute=minutes, day=st.integers(1, 28))
def test_daily_on_shift_matches_the_clock_face(
    start: int, end: int, at_minute: int, day: int
) -> None:
    shift = Shift.parse(f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}")
    now = utc(day, 0) + timedelta(minutes=at_minute)
    if start == end:
        expected = True
    elif start < end:
        expected = start <= at_minute < end
    else:
        expected = at_minute >= start or at_minute < end
    assert shift.on_shift(now) == expected
    window = shift.window_at(now)
    assert (window is not None) == expected
    if window is not None:
        begin, finish = window
        assert begin <= now < finish
        assert finish - begin <= timedelta(days=1)
