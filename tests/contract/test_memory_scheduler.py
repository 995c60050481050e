"""InProcessScheduler (driven by a ManualClock through ``run_due``) against the Scheduler
contract, plus what only the in-process twin promises: exact coalescing, the periodic sweep,
a bounded number of retries, and its background thread on the wall clock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from contract.scheduler_contract import RecordingHandlers, SchedulerContract
from kangaroo_paw.adapters.clock import ManualClock, SystemClock
from kangaroo_paw.adapters.memory.scheduler import MAX_ATTEMPTS, InProcessScheduler
from kangaroo_paw.ports.scheduler import Scheduler


class TestInProcessScheduler(SchedulerContract):
    retry_within_secs = float(MAX_ATTEMPTS)  # retry n waits n seconds
    clock: ManualClock
    in_process: InProcessScheduler

    @pytest.fixture
    def scheduler(self, handlers: RecordingHandlers) -> Iterator[Scheduler]:
        self.clock = ManualClock()
        self.in_process = InProcessScheduler(handlers, self.clock)
        yield self.in_process
        self.in_process.close()

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def settle(self) -> None:
        self.in_process.run_due()

    # -- what the in-process twin adds -----------------------------------------------------------

    def test_a_burst_becomes_exactly_one_pass(self, handlers: RecordingHandlers) -> None:
        scheduler = InProcessScheduler(handlers, ManualClock())
        for _ in range(50):
            scheduler.request_allocation()
        assert scheduler.run_due() == 1
        assert scheduler.run_due() == 0
        assert handlers.allocations == 1

    def test_pending_timers_are_listed_until_they_fire(self, handlers: RecordingHandlers) -> None:
        clock = ManualClock()
        scheduler = InProcessScheduler(handlers, clock)
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, clock.now() + timedelta(seconds=5))
        scheduler.schedule_timeout(task, 2, clock.now() + timedelta(seconds=45))
        assert scheduler.pending_timers() == [f"complete-{task}-1", f"timeout-{task}-2"]
        clock.advance(5)
        assert scheduler.run_due() == 1
        assert scheduler.pending_timers() == [f"timeout-{task}-2"]
        assert scheduler.fired == [f"complete-{task}-1"]

    def test_a_pass_runs_every_sweep_even_without_a_request(
        self, handlers: RecordingHandlers
    ) -> None:
        """A cook's shift starting is no event: the sweep gives their work a pass anyway."""
        clock = ManualClock()
        scheduler = InProcessScheduler(handlers, clock, sweep_secs=30)
        assert scheduler.run_due() == 0
        clock.advance(29)
        assert scheduler.run_due() == 0
        clock.advance(1)
        assert scheduler.run_due() == 1
        assert scheduler.run_due() == 0
        clock.advance(30)
        scheduler.run_due()
        assert handlers.allocations == 2

    def test_a_failed_pass_is_run_again_by_the_sweep(self, handlers: RecordingHandlers) -> None:
        clock = ManualClock()
        scheduler = InProcessScheduler(handlers, clock, sweep_secs=30)
        handlers.fail_next("allocate")
        scheduler.request_allocation()
        scheduler.run_due()
        assert handlers.allocations == 1
        clock.advance(30)
        scheduler.run_due()
        assert handlers.allocations == 2

    def test_no_sweep_when_switched_off(self, handlers: RecordingHandlers) -> None:
        clock = ManualClock()
        scheduler = InProcessScheduler(handlers, clock, sweep_secs=None)
        clock.advance(3600)
        assert scheduler.run_due() == 0

    def test_a_callback_that_keeps_failing_is_given_up_after_max_attempts(
        self, handlers: RecordingHandlers
    ) -> None:
        clock = ManualClock()
        scheduler = InProcessScheduler(handlers, clock, sweep_secs=None)
        task = uuid.uuid4()
        handlers.fail_next("complete", times=100)
        scheduler.schedule_completion(task, 1, clock.now())
        for _ in range(20):
            scheduler.run_due()
            clock.advance(MAX_ATTEMPTS)
        assert handlers.completions == [(task, 1)] * MAX_ATTEMPTS
        assert scheduler.pending_timers() == []

    def test_the_background_thread_runs_requests_and_timers(
        self, handlers: RecordingHandlers
    ) -> None:
        clock = SystemClock()
        scheduler = InProcessScheduler(handlers, clock, max_wait_secs=0.05)
        scheduler.start()
        try:
            task = uuid.uuid4()
            scheduler.schedule_completion(task, 1, clock.now() + timedelta(seconds=0.1))
            scheduler.request_allocation()
            deadline = time.monotonic() + 5
            while (not handlers.completions or not handlers.allocations) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.01)
            assert handlers.completions == [(task, 1)]
            assert handlers.allocations >= 1
        finally:
            scheduler.close()
        fired = len(handlers.completions)
        scheduler.schedule_completion(uuid.uuid4(), 1, clock.now())
        time.sleep(0.2)
        assert len(handlers.completions) == fired  # closed: nothing runs any more
