"""The Scheduler contract: allocation requests and durable timers.

How to reuse it for another adapter (Temporal, ...)::

    from contract.scheduler_contract import RecordingHandlers, SchedulerContract

    class TestTemporalScheduler(SchedulerContract):
        retry_within_secs = 10.0

        @pytest.fixture
        def scheduler(self, handlers: RecordingHandlers, temporal_env) -> Iterator[Scheduler]:
            scheduler = TemporalScheduler(temporal_env.client, handlers, ...)
            yield scheduler
            scheduler.close()

        def now(self) -> datetime: ...          # the time the scheduler goes by
        def advance(self, seconds: float) -> None: ...  # let it pass, run what came due
        def settle(self) -> None: ...           # wait until nothing due is left to run

A subclass provides the scheduler (``make_scheduler(handlers)`` or the ``scheduler`` fixture,
which receives the ``handlers`` fixture: fakes of the Kitchen's timer callbacks that record
every call) and the three time hooks. ``retry_within_secs`` bounds how long a failed callback
may wait before its retry. Due times in the tests are relative to ``now()``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from kangaroo_paw.ports.scheduler import Scheduler, Timer


class RecordingHandlers:
    """TimerHandlers that record each call; ``fail_next`` makes the next calls raise."""

    def __init__(self) -> None:
        self.allocations = 0
        self.completions: list[tuple[UUID, int]] = []  # (task, start number)
        self.timeouts: list[tuple[UUID, int]] = []
        self.releases: list[tuple[UUID, datetime]] = []
        self.failures: dict[str, int] = {}
        self.answer = True
        self._lock = threading.Lock()

    def fail_next(self, kind: str, times: int = 1) -> None:
        """Raise from the next ``times`` calls of ``kind`` (allocate, complete, timeout,
        release)."""
        self.failures[kind] = times

    def _maybe_fail(self, kind: str) -> None:
        if self.failures.get(kind, 0) > 0:
            self.failures[kind] -= 1
            raise RuntimeError(f"{kind} failed (on purpose)")

    def allocate_now(self) -> int:
        with self._lock:
            self.allocations += 1
            self._maybe_fail("allocate")
        return 0

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        with self._lock:
            self.completions.append((task_id, start_no))
            self._maybe_fail("complete")
        return self.answer

    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        with self._lock:
            self.timeouts.append((task_id, assignment_no))
            self._maybe_fail("timeout")
        return self.answer

    def release_due(self, order_id: UUID, release_at: datetime) -> bool:
        with self._lock:
            self.releases.append((order_id, release_at))
            self._maybe_fail("release")
        return self.answer


class SchedulerContract:
    """Requests coalesce; timers fire at or after their due time, once per id; a failing
    callback is retried."""

    retry_within_secs: float = 10.0

    def make_scheduler(self, handlers: RecordingHandlers) -> Scheduler:
        raise NotImplementedError("a SchedulerContract subclass must provide a scheduler")

    def now(self) -> datetime:
        raise NotImplementedError

    def advance(self, seconds: float) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        raise NotImplementedError

    @pytest.fixture
    def handlers(self) -> RecordingHandlers:
        return RecordingHandlers()

    @pytest.fixture
    def scheduler(self, handlers: RecordingHandlers) -> Iterator[Scheduler]:
        scheduler = self.make_scheduler(handlers)
        yield scheduler
        scheduler.close()

    def in_(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)

    # -- allocation ----------------------------------------------------------------------------

    def test_an_allocation_request_runs_a_pass(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        scheduler.request_allocation()
        self.settle()
        assert handlers.allocations >= 1

    def test_a_burst_of_requests_coalesces(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        for _ in range(20):
            scheduler.request_allocation()
        self.settle()
        assert 1 <= handlers.allocations < 20

    def test_no_request_no_pass(self, scheduler: Scheduler, handlers: RecordingHandlers) -> None:
        self.settle()
        assert handlers.allocations == 0

    # -- timers --------------------------------------------------------------------------------

    def test_completion_fires_at_its_due_time_not_before(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(10))
        self.advance(9)
        assert handlers.completions == []
        self.advance(1)
        assert handlers.completions == [(task, 1)]
        self.advance(60)
        assert handlers.completions == [(task, 1)]  # once

    def test_timeout_fires_with_its_assignment_number(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        scheduler.schedule_timeout(task, 3, self.in_(45))
        self.advance(44)
        assert handlers.timeouts == []
        self.advance(1)
        assert handlers.timeouts == [(task, 3)]

    def test_a_timer_already_due_fires_right_away(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(-30))  # e.g. re-armed after a restart
        self.settle()
        assert handlers.completions == [(task, 1)]

    def test_timers_fire_in_due_order(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        tasks = [uuid.uuid4() for _ in range(3)]
        for task, secs in zip(tasks, (30, 10, 20), strict=True):
            scheduler.schedule_completion(task, 1, self.in_(secs))
        for _ in range(3):
            self.advance(10)
        assert handlers.completions == [(tasks[1], 1), (tasks[2], 1), (tasks[0], 1)]

    def test_the_same_timer_id_is_armed_once(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(5))
        scheduler.schedule_completion(task, 1, self.in_(5))
        scheduler.schedule_completion(task, 1, self.in_(7))  # same id: the same start's
        scheduler.schedule_timeout(task, 1, self.in_(5))
        scheduler.schedule_timeout(task, 1, self.in_(6))
        scheduler.schedule_timeout(task, 2, self.in_(5))  # another assignment: another timer
        self.advance(10)
        assert handlers.completions == [(task, 1)]
        assert sorted(handlers.timeouts, key=lambda t: t[1]) == [(task, 1), (task, 2)]

    def test_each_start_of_a_task_has_a_completion_timer_of_its_own(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        """A re-fired attempt (or a recall) starts the task anew: its timer is armed under
        the new start number even after the first start's timer fired, and each fires with
        its own number, so the kitchen can tell a late old timer from the current one. (On
        Temporal a ``complete-{task}`` id would have been rejected as a duplicate here.)"""
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(2))
        self.advance(3)
        assert handlers.completions == [(task, 1)]
        scheduler.schedule_completion(task, 2, self.in_(4))  # the re-fired attempt's start
        self.advance(3)
        assert handlers.completions == [(task, 1)]
        self.advance(2)
        assert handlers.completions == [(task, 1), (task, 2)]

    def test_an_old_start_firing_late_carries_its_own_number(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        """The first start's timer is due after the second's (a recall brought the due time
        forward): both fire, in due order, each with its start number."""
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(8))
        scheduler.schedule_completion(task, 2, self.in_(3))
        self.advance(4)
        assert handlers.completions == [(task, 2)]
        self.advance(5)
        assert handlers.completions == [(task, 2), (task, 1)]

    def test_timers_armed_together_fire_each_once_in_due_order(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        """``schedule_timers``: what the consumer sends per batch. Each timer is what its
        single call would arm, duplicates in the batch or in a later one included."""
        task, other, order = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        release_at = self.in_(18)
        completion = Timer.completion(task, 1, self.in_(10))
        timeout = Timer.timeout(other, 2, self.in_(2))
        scheduler.schedule_timers([completion, timeout, Timer.release(order, release_at)])
        scheduler.schedule_timers([completion, timeout])  # a redelivered batch
        self.advance(6)
        assert (handlers.timeouts, handlers.completions) == ([(other, 2)], [])
        self.advance(8)
        assert (handlers.completions, handlers.releases) == ([(task, 1)], [])
        self.advance(8)
        assert [o for o, _ in handlers.releases] == [order]
        self.advance(20)
        assert (len(handlers.timeouts), len(handlers.completions), len(handlers.releases)) == (
            1,
            1,
            1,
        )

    def test_a_callback_with_nothing_to_do_is_not_retried(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        handlers.answer = False  # e.g. the task was completed by hand already
        task = uuid.uuid4()
        scheduler.schedule_completion(task, 1, self.in_(1))
        self.advance(1)
        self.advance(self.retry_within_secs * 3)
        assert handlers.completions == [(task, 1)]

    def test_a_failing_callback_is_retried(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        handlers.fail_next("complete", times=2)
        scheduler.schedule_completion(task, 1, self.in_(1))
        self.advance(1)
        assert handlers.completions[:1] == [(task, 1)]
        for _ in range(4):
            self.advance(self.retry_within_secs)
        assert handlers.completions == [(task, 1)] * 3  # failed, failed, succeeded

    def test_a_failing_timeout_is_retried(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        task = uuid.uuid4()
        handlers.fail_next("timeout")
        scheduler.schedule_timeout(task, 1, self.in_(1))
        self.advance(1)
        for _ in range(3):
            self.advance(self.retry_within_secs)
        assert handlers.timeouts == [(task, 1), (task, 1)]

    # -- release timers (finish-together pacing) -------------------------------------------------

    def test_a_release_fires_at_its_time_with_it(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        order = uuid.uuid4()
        at = self.in_(20)
        scheduler.schedule_release(order, at)
        self.advance(19)
        assert handlers.releases == [], (handlers.releases, at, self.now())
        self.advance(1)
        assert [(o, abs((t - at).total_seconds()) < 0.002) for o, t in handlers.releases] == [
            (order, True)
        ]
        self.advance(30)
        assert len(handlers.releases) == 1  # once

    def test_an_order_may_plan_releases_at_several_instants_each_once(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        order = uuid.uuid4()
        first, second = self.in_(5), self.in_(10)
        scheduler.schedule_release(order, second)
        scheduler.schedule_release(order, first)
        scheduler.schedule_release(order, first)  # a redelivered event: the same timer
        scheduler.schedule_release(order, second)
        self.advance(6)
        assert [o for o, _ in handlers.releases] == [order]
        self.advance(5)
        assert [o for o, _ in handlers.releases] == [order, order]
        assert handlers.releases[0][1] < handlers.releases[1][1]

    def test_a_failing_release_is_retried(
        self, scheduler: Scheduler, handlers: RecordingHandlers
    ) -> None:
        order = uuid.uuid4()
        handlers.fail_next("release")
        scheduler.schedule_release(order, self.in_(1))
        self.advance(1)
        for _ in range(3):
            self.advance(self.retry_within_secs)
        assert [o for o, _ in handlers.releases] == [order, order]
