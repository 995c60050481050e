"""The workflows and activities on the real dev server, with recording handlers: coalescing,
durable timers, duplicate starts, clean ends, retries, continue-as-new and determinism."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Replayer

from integration.temporal.temporal_support import TemporalHarness, wait_for
from kangaroo_paw.adapters.temporal.common import (
    ALLOCATION_WORKFLOW,
    REQUEST_SIGNAL,
    AllocationState,
    allocation_workflow_id,
    completion_workflow_id,
    timeout_workflow_id,
)
from kangaroo_paw.adapters.temporal.workflows import WORKFLOWS
from kangaroo_paw.domain.errors import InvalidTransition, NotFound

pytestmark = pytest.mark.temporal


class RecordingHandlers:
    """TimerHandlers that record every call (with its wall-clock time)."""

    def __init__(self, pass_secs: float = 0.0) -> None:
        self.pass_secs = pass_secs
        self.pass_starts: list[float] = []
        self.completed: list[tuple[UUID, float]] = []
        self.requeued: list[tuple[UUID, int, float]] = []
        self.fail_first = 0
        self.raise_on_complete: Exception | None = None
        self._lock = threading.Lock()

    def allocate_now(self) -> int:
        with self._lock:
            self.pass_starts.append(time.time())
        time.sleep(self.pass_secs)
        return 0

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                raise RuntimeError("database briefly unavailable")
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


def test_a_completion_timer_fires_at_its_due_time_once(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
    task = uuid4()
    due = soon(1.5)
    scheduler.schedule_completion(task, 1, due)
    scheduler.schedule_completion(task, 1, due)  # a redelivered TASK_STARTED
    wait_for(lambda: bool(handlers.completed), 15, "the completion")
    scheduler.schedule_completion(task, 1, due)  # ... even after the timer fired
    fired_at = handlers.completed[0][1]
    assert fired_at >= due.timestamp() - 0.05
    assert fired_at <= due.timestamp() + 5
    assert temporal.result(completion_workflow_id(temporal.kitchen, task, 1)) is True
    time.sleep(1)
    assert [t for t, _ in handlers.completed] == [task]
    assert scheduler.duplicates == 2


def test_a_second_start_of_the_same_task_gets_a_timer_of_its_own(temporal: TemporalHarness) -> None:
    """A re-fired attempt restarts a task whose first timer already fired: under
    ``complete-{task}`` Temporal would reject it as a duplicate and it would never fire."""
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
    task = uuid4()
    scheduler.schedule_completion(task, 1, soon(0))
    wait_for(lambda: bool(handlers.completed), 15, "the first start's completion")
    scheduler.schedule_completion(task, 2, soon(0.5))
    wait_for(lambda: len(handlers.completed) >= 2, 15, "the second start's completion")
    assert temporal.result(completion_workflow_id(temporal.kitchen, task, 2)) is True
    assert scheduler.duplicates == 0


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
    assert temporal.status(timeout_workflow_id(temporal.kitchen, task, 2)) == (
        WorkflowExecutionStatus.COMPLETED
    )


def test_a_timer_already_due_fires_at_once(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    task = uuid4()
    started = time.time()
    temporal.scheduler().schedule_completion(task, 1, soon(-60))
    wait_for(lambda: bool(handlers.completed), 10, "the overdue completion")
    assert handlers.completed[0][1] - started < 5


def test_a_timer_is_durable_without_a_worker(temporal: TemporalHarness) -> None:
    """Scheduled while no worker runs; the worker that comes later still fires it."""
    handlers = RecordingHandlers()
    task = uuid4()
    temporal.scheduler().schedule_completion(task, 1, soon(1))
    time.sleep(2)
    assert not handlers.completed
    temporal.start_worker(handlers)
    wait_for(lambda: bool(handlers.completed), 15, "the late completion")


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


def test_an_unknown_task_ends_the_timer_cleanly(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.raise_on_complete = NotFound("task gone")
    temporal.start_worker(handlers)
    task = uuid4()
    temporal.scheduler().schedule_completion(task, 1, soon(0))
    assert temporal.result(completion_workflow_id(temporal.kitchen, task, 1)) is False


def test_a_broken_rule_fails_the_timer_without_retrying(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.raise_on_complete = InvalidTransition("cannot complete")
    temporal.start_worker(handlers)
    task = uuid4()
    temporal.scheduler().schedule_completion(task, 1, soon(0))
    workflow_id = completion_workflow_id(temporal.kitchen, task, 1)
    wait_for(
        lambda: temporal.status(workflow_id) == WorkflowExecutionStatus.FAILED, 10, "a failure"
    )


def test_a_failing_activity_is_retried(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    handlers.fail_first = 2
    temporal.start_worker(handlers)
    task = uuid4()
    temporal.scheduler().schedule_completion(task, 1, soon(0))
    assert temporal.result(completion_workflow_id(temporal.kitchen, task, 1), timeout=30) is True
    assert [t for t, _ in handlers.completed] == [task]


def test_histories_replay_deterministically(temporal: TemporalHarness) -> None:
    handlers = RecordingHandlers()
    temporal.start_worker(handlers)
    scheduler = temporal.scheduler()
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
        completion_workflow_id(temporal.kitchen, task, 1),
        timeout_workflow_id(temporal.kitchen, task, 1),
        allocation_workflow_id(temporal.kitchen),
    ):
        history = temporal.run(temporal.client.get_workflow_handle(workflow_id).fetch_history())
        temporal.run(replayer.replay_workflow(history))
