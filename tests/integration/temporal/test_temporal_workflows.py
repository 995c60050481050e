"""The workflows and activities on the real dev server, with recording handlers: coalescing,
durable timers held by the shard workflows (dedupe, due order, early wake-up, batches whose
tasks fail apart, continue-as-new, a worker restart), clean ends, retries and determinism."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Replayer

from integration.temporal.temporal_support import TemporalHarness, wait_for
from kangaroo_paw.adapters.temporal.common import (
    ALLOCATION_WORKFLOW,
    ARM_SIGNAL,
    REQUEST_SIGNAL,
    TIMER_SHARD_WORKFLOW,
    AllocationState,
    ShardTimer,
    TimerShardState,
    allocation_workflow_id,
    timer_shard_workflow_id,
)
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler
from kangaroo_paw.adapters.temporal.workflows import WORKFLOWS
from kangaroo_paw.domain.errors import InvalidTransition, NotFound
from kangaroo_paw.ports.scheduler import Timer

pytestmark = pytest.mark.temporal


class RecordingHandlers:
    """TimerHandlers that record every call (with its wall-clock time)."""

    def __init__(self, pass_secs: float = 0.0) -> None:
        self.pass_secs = pass_secs
        self.pass_starts: list[float] = []
        self.calls: list[UUID] = []  # every auto_complete call, failed or not
        self.completed: list[tuple[UUID, float]] = []
        self.requeued: list[tuple[UUID, int, float]] = []
        self.fail_first = 0
        self.fail_tasks: dict[UUID, int] = {}  # task -> how many of its calls fail
        self.raise_on_complete: Exception | None = None
        self._lock = threading.Lock()

    def allocate_now(self) -> int:
        with self._lock:
            self.pass_starts.append(time.time())
        time.sleep(self.pass_secs)
        return 0

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        with self._lock:
            self.calls.append(task_id)
            if self.fail_first > 0:
                self.fail_first -= 1
                raise RuntimeError("database briefly unavailable")
            if self.fail_tasks.get(task_id, 0) > 0:
                self.fail_tasks[task_id] -= 1
                raise RuntimeError(f"task {task_id} failed (on purpose)")
        if self.raise_on_complete is not None:
            raise self.raise_on_complete
        with self._lock:
            self.completed.append((task_id, time.time()))
        return True

    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        with self._lock:
            self.requeued.append((task_id, assignment_no, time.time()))
        return True


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def one_shard(temporal: TemporalHarness) -> TemporalScheduler:
    """A scheduler whose every timer goes to shard 0, so that tests can watch one workflow."""
    return TemporalScheduler(
        temporal.client,
        kitchen=temporal.kitchen,
        task_queue=temporal.task_queue,
        loop=temporal.loop,
        owns_loop=False,
        timer_shards=1,
    )


def shard_status(temporal: TemporalHarness, shard: int = 0) -> dict[str, Any]:
    handle = temporal.client.get_workflow_handle(timer_shard_workflow_id(temporal.kitchen, shard))
    status: dict[str, Any] = temporal.run(handle.query("status"))
    return status


def completed_tasks(handlers: RecordingHandlers) -> list[UUID]:
    return [task for task, _ in handlers.completed]


def test_a_completion_timer_fires_at_its_due_time_once(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    due = soon(1.5)
    scheduler.schedule_completion(task, 1, due)
    scheduler.schedule_completion(task, 1, due)  # a redelivered TASK_STARTED
    assert list(shard_status(temporal)["pending"]) == [f"complete-{task}-1"]
    wait_for(lambda: bool(handlers.completed), 15, "the completion")
    scheduler.schedule_completion(task, 1, due)  # ... even after the timer fired
    fired_at = handlers.completed[0][1]
    assert fired_at >= due.timestamp() - 0.05
    assert fired_at <= due.timestamp() + 5
    time.sleep(1)
    assert completed_tasks(handlers) == [task]
    assert shard_status(temporal)["pending"] == {}


def test_a_second_start_of_the_same_task_gets_a_timer_of_its_own(temporal: TemporalHarness) -> None:
    """A re-fired attempt restarts a task whose first timer already fired: a new id, so the
    shard does not take it for the first one redelivered."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(0))
    wait_for(lambda: bool(handlers.completed), 15, "the first start's completion")
    scheduler.schedule_completion(task, 2, soon(0.5))
    wait_for(lambda: len(handlers.completed) >= 2, 15, "the second start's completion")
    assert completed_tasks(handlers) == [task, task]


def test_a_timeout_timer_is_one_per_assignment(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
    task = uuid4()
    scheduler.schedule_timeout(task, 1, soon(1))
    scheduler.schedule_timeout(task, 1, soon(1))
    scheduler.schedule_timeout(task, 2, soon(1.5))
    wait_for(lambda: len(handlers.requeued) >= 2, 15, "both timeouts")
    time.sleep(0.5)
    assert sorted((t, n) for t, n, _ in handlers.requeued) == [(task, 1), (task, 2)]


def test_timers_fire_earliest_first_and_due_ones_together(temporal: TemporalHarness) -> None:
    """Armed in one call out of order; fired in due order; the two due at the same instant
    go in one activity call (one batch)."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    late, early, same_a, same_b = (uuid4() for _ in range(4))
    at = soon(2.0)
    scheduler.schedule_timers(
        [
            Timer.completion(late, 1, soon(3.0)),
            Timer.completion(same_a, 1, at),
            Timer.completion(early, 1, soon(1.0)),
            Timer.completion(same_b, 1, at),
        ]
    )
    assert (scheduler.signals_sent, scheduler.timers_sent) == (1, 4)  # one signal per shard
    wait_for(lambda: len(handlers.completed) == 4, 15, "every timer")
    order = completed_tasks(handlers)
    assert order[0] == early
    assert order[-1] == late
    assert set(order[1:3]) == {same_a, same_b}
    assert shard_status(temporal)["batches"] <= 3  # the two due together never go apart


def test_a_timer_armed_while_the_shard_sleeps_wakes_it_early(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    far, near = uuid4(), uuid4()
    scheduler.schedule_completion(far, 1, soon(60))
    time.sleep(1)  # the shard now sleeps until the far timer
    armed = time.time()
    scheduler.schedule_completion(near, 1, soon(0.5))
    wait_for(lambda: bool(handlers.completed), 15, "the near timer")
    assert completed_tasks(handlers) == [near]
    assert handlers.completed[0][1] - armed < 10  # not after the far timer's 60 s
    assert list(shard_status(temporal)["pending"]) == [f"complete-{far}-1"]


def test_a_start_drops_the_tasks_pending_timeouts(temporal: TemporalHarness) -> None:
    """A completion armed for a task (it started) forgets that task's assignment timeout,
    as fired (a redelivered one is ignored too); another task's timeout still fires."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    started, idle = uuid4(), uuid4()
    scheduler.schedule_timers(
        [Timer.timeout(started, 1, soon(2.0)), Timer.timeout(idle, 1, soon(2.0))]
    )
    scheduler.schedule_timers([Timer.completion(started, 1, soon(1.0))])
    scheduler.schedule_timers([Timer.timeout(started, 1, soon(2.0))])  # redelivered
    wait_for(lambda: len(handlers.requeued) == 1, 15, "the idle task's timeout")
    wait_for(lambda: completed_tasks(handlers) == [started], 15, "the completion")
    time.sleep(1.5)  # past the dropped timeout's due time
    assert [task for task, _, _ in handlers.requeued] == [idle]
    status = shard_status(temporal)
    assert status["pending"] == {}
    assert f"timeout-{started}-1" in status["fired"]


def test_a_failing_task_does_not_cost_the_others_of_its_batch(temporal: TemporalHarness) -> None:
    """Three due at once (one batch): one fails twice, one breaks a rule; the third is done
    at once, the failing one on its retries, the broken one never retried."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    ok, flaky = uuid4(), uuid4()
    handlers.fail_tasks[flaky] = 2
    at = soon(0.5)
    scheduler.schedule_timers([Timer.completion(ok, 1, at), Timer.completion(flaky, 1, at)])
    wait_for(lambda: ok in completed_tasks(handlers), 10, "the healthy task")
    assert flaky not in completed_tasks(handlers)
    wait_for(lambda: flaky in completed_tasks(handlers), 20, "the flaky task, retried")
    assert handlers.calls.count(flaky) == 3
    assert handlers.calls.count(ok) == 1
    assert shard_status(temporal)["pending"] == {}


def test_a_broken_rule_drops_the_timer_without_retrying(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.raise_on_complete = InvalidTransition("cannot complete")
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(0))
    wait_for(lambda: len(shard_status(temporal)["fired"]) == 1, 10, "the timer settled")
    time.sleep(2.5)  # a retry would have come after 1 s
    assert handlers.calls == [task]
    workflow_id = timer_shard_workflow_id(temporal.kitchen, 0)
    assert temporal.status(workflow_id) == WorkflowExecutionStatus.RUNNING


def test_an_unknown_task_ends_its_timer_cleanly(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.raise_on_complete = NotFound("task gone")
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(0))
    wait_for(lambda: len(shard_status(temporal)["fired"]) == 1, 10, "the timer settled")
    time.sleep(1.5)
    assert handlers.calls == [task]


def test_a_failing_activity_is_retried(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.fail_first = 2
    temporal.start_worker(handlers)
    task = uuid4()
    one_shard(temporal).schedule_completion(task, 1, soon(0))
    wait_for(lambda: bool(handlers.completed), 20, "the completion after two failures")
    assert completed_tasks(handlers) == [task]
    assert handlers.calls == [task] * 3


def test_a_timer_is_durable_without_a_worker(temporal: TemporalHarness) -> None:
    """Scheduled while no worker runs; the worker that comes later still fires it."""
    handlers = RecordingHandlers()
    task = uuid4()
    temporal.scheduler().schedule_completion(task, 1, soon(1))
    time.sleep(2)
    assert not handlers.completed
    temporal.start_worker(handlers)
    wait_for(lambda: bool(handlers.completed), 15, "the late completion")


def test_a_worker_restarted_while_the_shard_sleeps_still_fires(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(3))
    time.sleep(1)  # armed, asleep
    temporal.stop_workers()
    temporal.start_worker(handlers)  # a new worker (no cached workflow state)
    wait_for(lambda: bool(handlers.completed), 15, "the completion after the restart")
    assert completed_tasks(handlers) == [task]


def test_a_timer_already_due_fires_at_once(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    task = uuid4()
    started = time.time()
    temporal.scheduler().schedule_completion(task, 1, soon(-60))
    wait_for(lambda: bool(handlers.completed), 10, "the overdue completion")
    assert handlers.completed[0][1] - started < 5


def test_the_shard_continues_as_new_with_its_timers(temporal: TemporalHarness) -> None:
    """A run past its history budget continues as new carrying the pending timers (which
    still fire) and the fired ids (a redelivered one is not fired again)."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    workflow_id = timer_shard_workflow_id(temporal.kitchen, 0)
    fired, pending = uuid4(), uuid4()

    def arm(task: UUID, due: datetime) -> None:
        timer = ShardTimer(f"complete-{task}-1", "complete", str(task), 1, due.isoformat())
        temporal.run(
            temporal.client.start_workflow(
                TIMER_SHARD_WORKFLOW,
                TimerShardState(kitchen=temporal.kitchen, shard=0, history_per_run=30),
                id=workflow_id,
                task_queue=temporal.task_queue,
                start_signal=ARM_SIGNAL,
                start_signal_args=[[timer]],
            )
        )

    arm(fired, soon(0))
    wait_for(lambda: bool(handlers.completed), 10, "the first timer")
    first_run = temporal.run(temporal.client.get_workflow_handle(workflow_id).describe()).run_id
    arm(pending, soon(6))
    for _ in range(12):  # signals grow the history past 30 events
        arm(fired, soon(0))  # a redelivered timer, already fired
    wait_for(
        lambda: (
            temporal.run(temporal.client.get_workflow_handle(workflow_id).describe()).run_id
            != first_run
        ),
        10,
        "a continued-as-new run",
    )
    assert f"complete-{pending}-1" in shard_status(temporal)["pending"]
    wait_for(lambda: len(handlers.completed) >= 2, 15, "the carried timer")
    time.sleep(0.5)
    assert completed_tasks(handlers) == [fired, pending]


def test_a_burst_of_requests_is_coalesced_into_few_passes(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers(pass_secs=0.5)
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
    for _ in range(30):
        scheduler.request_allocation()
    last_request = time.time()
    wait_for(
        lambda: handlers.pass_starts and handlers.pass_starts[-1] >= last_request - 1,
        15,
        "a pass after the burst",
    )
    time.sleep(1.5)
    assert 1 <= len(handlers.pass_starts) <= 4, handlers.pass_starts
    # No request is lost: a pass began after the last request was accepted.
    assert max(handlers.pass_starts) >= last_request - 0.6


def test_a_request_after_an_idle_spell_runs_a_pass(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
    scheduler.request_allocation()
    wait_for(lambda: len(handlers.pass_starts) == 1, 10, "the first pass")
    time.sleep(1)
    scheduler.request_allocation()
    wait_for(lambda: len(handlers.pass_starts) == 2, 10, "the second pass")
    workflow_id = allocation_workflow_id(temporal.kitchen)
    assert temporal.status(workflow_id) == WorkflowExecutionStatus.RUNNING


def test_the_allocation_workflow_continues_as_new(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    workflow_id = allocation_workflow_id(temporal.kitchen)
    handle = temporal.run(
        temporal.client.start_workflow(
            ALLOCATION_WORKFLOW,
            AllocationState(kitchen=temporal.kitchen, pending=True, passes_per_run=2),
            id=workflow_id,
            task_queue=temporal.task_queue,
        )
    )
    first_run = handle.result_run_id
    wait_for(lambda: len(handlers.pass_starts) >= 1, 10, "pass 1")
    latest_run = temporal.client.get_workflow_handle(workflow_id)  # follows the newest run
    for expected in range(2, 6):
        temporal.run(latest_run.signal(REQUEST_SIGNAL))
        wait_for(lambda n=expected: len(handlers.pass_starts) >= n, 10, f"pass {expected}")
    latest = temporal.run(temporal.client.get_workflow_handle(workflow_id).describe())
    assert latest.status == WorkflowExecutionStatus.RUNNING
    assert latest.run_id != first_run
    runs = temporal.list_ids(f'WorkflowId = "{workflow_id}"')
    assert len(runs) >= 3  # two continued-as-new runs and the running one


def test_histories_replay_deterministically(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = one_shard(temporal)
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(0.5))
    scheduler.schedule_timeout(task, 1, soon(0.5))
    for _ in range(3):
        scheduler.request_allocation()
    wait_for(
        lambda: handlers.completed and handlers.requeued and handlers.pass_starts,
        15,
        "every workflow to act",
    )
    replayer = Replayer(workflows=list(WORKFLOWS))
    for workflow_id in (
        timer_shard_workflow_id(temporal.kitchen, 0),
        allocation_workflow_id(temporal.kitchen),
    ):
        history = temporal.run(temporal.client.get_workflow_handle(workflow_id).fetch_history())
        temporal.run(replayer.replay_workflow(history))
