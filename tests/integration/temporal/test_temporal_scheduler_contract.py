"""TemporalScheduler against the Scheduler contract that the in-process twin passes, on the
real dev server with a worker in this process.

Temporal keeps real time, so the contract's seconds are scaled down (``SCALE``): a timer
"due in 10 s" is due in 2 s, and ``advance`` sleeps the scaled time, then settles — waits
until no timer shard workflow holds a timer that has come due and the allocation workflow
has no request waiting and no pass running."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.service import RPCError

from contract.scheduler_contract import RecordingHandlers, SchedulerContract
from integration.temporal.temporal_support import TemporalHarness
from kangaroo_paw.adapters.temporal.common import (
    TIMER_RETRY,
    allocation_workflow_id,
    timer_shard,
    timer_shard_workflow_id,
)
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler
from kangaroo_paw.ports.scheduler import Scheduler, Timer

pytestmark = pytest.mark.temporal

SCALE = 0.2  # real seconds per contract second
SETTLE_TIMEOUT_SECS = 30.0


class TrackingScheduler(TemporalScheduler):
    """Remembers the shards it armed timers in, and the earliest due time of each, so that
    settling asks only the shards with something due (each query is a round trip to the
    worker, and the contract's seconds are short)."""

    due: dict[int, datetime]

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        super().schedule_timers(timers)
        for timer in timers:
            shard = timer_shard(timer.subject, self.timer_shards)
            self.due[shard] = min(self.due.get(shard, timer.due_at), timer.due_at)


class TestTemporalScheduler(SchedulerContract):
    # A failed activity is retried after 1 s, then 2 s, ... (real): in contract seconds.
    retry_within_secs = 2 * TIMER_RETRY.initial_interval.total_seconds() / SCALE
    harness: TemporalHarness
    scheduler_: TrackingScheduler

    @pytest.fixture
    def scheduler(self, handlers: RecordingHandlers) -> Iterator[Scheduler]:
        self.harness = TemporalHarness()
        self.harness.start_worker(handlers)
        self.scheduler_ = TrackingScheduler(
            self.harness.client,
            kitchen=self.harness.kitchen,
            task_queue=self.harness.task_queue,
            loop=self.harness.loop,
            owns_loop=False,
        )
        self.scheduler_.due = {}
        self.scheduler_.open_shards()  # as the consumer does: arming is then a signal only
        yield self.scheduler_
        self.scheduler_.close()
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
        for shard, earliest in self.scheduler_.due.items():
            if earliest > now:
                continue
            status = self._query(timer_shard_workflow_id(self.harness.kitchen, shard))
            for due_at in status["pending"].values():
                if datetime.fromisoformat(due_at) <= now:
                    return False
        status = self._query(allocation_workflow_id(self.harness.kitchen))
        return status is None or (not status["pending"] and not status["in_pass"])

    def _query(self, workflow_id: str) -> Any:
        try:
            return self.harness.run(
                self.harness.client.get_workflow_handle(workflow_id).query("status")
            )
        except RPCError:
            return None
