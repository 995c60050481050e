"""TemporalScheduler against the Scheduler contract that the in-process twin passes, on the
real dev server with a worker in this process.

Temporal keeps real time, so the contract's seconds are scaled down (``SCALE``): a timer
"due in 10 s" is due in 2 s, and ``advance`` sleeps the scaled time, then settles — waits
until every timer workflow that has come due has closed and the allocation workflow has
no request waiting and no pass running."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from contract.scheduler_contract import RecordingHandlers, SchedulerContract
from integration.temporal.temporal_support import TemporalHarness
from kangaroo_paw.adapters.temporal.common import (
    TIMER_RETRY,
    allocation_workflow_id,
    completion_workflow_id,
    release_workflow_id,
    timeout_workflow_id,
)
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler
from kangaroo_paw.ports.scheduler import Scheduler

pytestmark = pytest.mark.temporal

SCALE = 0.2  # real seconds per contract second
SETTLE_TIMEOUT_SECS = 30.0


class TrackingScheduler(TemporalScheduler):
    """Remembers which timer workflows it asked for, and when they are due."""

    due: dict[str, datetime]

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        super().schedule_completion(task_id, start_no, due_at)
        self.due.setdefault(completion_workflow_id(self.kitchen, task_id, start_no), due_at)

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        super().schedule_timeout(task_id, assignment_no, deadline)
        self.due.setdefault(timeout_workflow_id(self.kitchen, task_id, assignment_no), deadline)

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        super().schedule_release(order_id, release_at)
        ms = round(release_at.timestamp() * 1000)
        self.due.setdefault(release_workflow_id(self.kitchen, order_id, ms), release_at)


class TestTemporalScheduler(SchedulerContract):
    # A failed activity is retried after 1 s, then 2 s, ... (real): in contract seconds.
    retry_within_secs = 2 * TIMER_RETRY.initial_interval.total_seconds() / SCALE
    harness: TemporalHarness
    tracking: TrackingScheduler

    @pytest.fixture
    def scheduler(self, handlers: RecordingHandlers) -> Iterator[Scheduler]:
        self.harness = TemporalHarness()
        self.harness.start_worker(handlers)
        self.tracking = TrackingScheduler(
            self.harness.client,
            kitchen=self.harness.kitchen,
            task_queue=self.harness.task_queue,
            loop=self.harness.loop,
            owns_loop=False,
        )
        self.tracking.due = {}
        yield self.tracking
        self.tracking.close()
        self.harness.close()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def in_(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds * SCALE)

    def advance(self, seconds: float) -> None:
        time.sleep(seconds * SCALE)
        self.settle()

    def settle(self) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT_SECS
        while not self._settled():
            assert time.monotonic() < deadline, "the scheduler did not settle"
            time.sleep(0.05)

    def _settled(self) -> bool:
        now = self.now()
        for workflow_id, due in self.tracking.due.items():
            if due <= now and self.harness.status(workflow_id) == WorkflowExecutionStatus.RUNNING:
                return False
        handle = self.harness.client.get_workflow_handle(
            allocation_workflow_id(self.harness.kitchen)
        )
        try:
            status = self.harness.run(handle.query("status"))
        except RPCError:
            return True  # never started: no request was made
        return not status["pending"] and not status["in_pass"]
