"""SystemClock and ManualClock against the Clock contract, and the manual clock's controls."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from contract.clock_contract import ClockContract
from kangaroo_paw.adapters.clock import ManualClock, SystemClock
from kangaroo_paw.ports.clock import Clock


class TestSystemClock(ClockContract):
    def make_clock(self) -> Clock:
        return SystemClock()

    def let_time_pass(self, clock: Clock, seconds: float) -> None:
        time.sleep(seconds)

    def test_it_is_the_wall_clock(self, clock: Clock) -> None:
        assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


class TestManualClock(ClockContract):
    def make_clock(self) -> Clock:
        return ManualClock()

    def let_time_pass(self, clock: Clock, seconds: float) -> None:
        assert isinstance(clock, ManualClock)
        clock.advance(seconds)

    def test_time_stands_still_until_told(self) -> None:
        clock = ManualClock(datetime(2026, 5, 1, 9, 30, tzinfo=UTC))
        time.sleep(0.01)
        assert clock.now() == datetime(2026, 5, 1, 9, 30, tzinfo=UTC)

    def test_advance_and_set_move_it_exactly(self) -> None:
        clock = ManualClock()
        start = clock.now()
        assert clock.advance(2.5) == start + timedelta(seconds=2.5)
        clock.set(start + timedelta(hours=1))
        assert clock.now() == start + timedelta(hours=1)
        clock.set(clock.now())  # standing still is allowed

    def test_it_refuses_to_run_backwards(self) -> None:
        clock = ManualClock()
        start = clock.now()
        with pytest.raises(ValueError, match="backwards"):
            clock.advance(-1)
        with pytest.raises(ValueError, match="backwards"):
            clock.set(start - timedelta(microseconds=1))
        assert clock.now() == start
