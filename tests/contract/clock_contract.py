"""The Clock contract: aware UTC time that never runs backwards.

How to reuse it::

    from contract.clock_contract import ClockContract

    class TestMyClock(ClockContract):
        def make_clock(self) -> Clock:
            return MyClock()

        def let_time_pass(self, clock: Clock, seconds: float) -> None:
            time.sleep(seconds)  # or move a controllable clock forward

A subclass provides the clock (``make_clock()`` or the ``clock`` fixture) and
``let_time_pass``: how a test makes time move for this clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kangaroo_paw.ports.clock import Clock


class ClockContract:
    def make_clock(self) -> Clock:
        raise NotImplementedError("a ClockContract subclass must provide a clock")

    def let_time_pass(self, clock: Clock, seconds: float) -> None:
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> Clock:
        return self.make_clock()

    def test_now_is_an_aware_utc_datetime(self, clock: Clock) -> None:
        now = clock.now()
        assert isinstance(now, datetime)
        assert now.tzinfo is not None
        assert now.utcoffset() == timedelta(0)
        assert now.astimezone(UTC) == now

    def test_time_never_runs_backwards(self, clock: Clock) -> None:
        readings = [clock.now() for _ in range(1000)]
        assert readings == sorted(readings)

    def test_time_moves_on(self, clock: Clock) -> None:
        before = clock.now()
        self.let_time_pass(clock, 0.01)
        after = clock.now()
        assert after - before >= timedelta(seconds=0.01)
        assert after - before < timedelta(seconds=5)
