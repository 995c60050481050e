"""The Temporal activities without a server (``ActivityEnvironment``), the written-down
timeouts and retry policies, and the workflow ids."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

pytest.importorskip("temporalio")

from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from kangaroo_paw.adapters.temporal import activities, common
from kangaroo_paw.adapters.temporal.activities import RULE_BROKEN, KitchenActivities
from kangaroo_paw.adapters.temporal.common import (
    PassOutcome,
    ReleaseInput,
    ShardTimer,
    TimerInput,
)
from kangaroo_paw.domain.errors import InvalidTransition, NotFound


class Handlers:
    def __init__(self, result: object = True, pass_secs: float = 0.0) -> None:
        self.result = result
        self.pass_secs = pass_secs
        self.calls: list[tuple[object, ...]] = []

    def _answer(self) -> object:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    def allocate_now(self) -> int:
        self.calls.append(("allocate",))
        time.sleep(self.pass_secs)
        return 3

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        self.calls.append(("complete", task_id, start_no))
        return bool(self._answer())

    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        self.calls.append(("requeue", task_id, assignment_no))
        return bool(self._answer())

    def release_due(self, order_id: UUID, release_at: datetime) -> bool:
        self.calls.append(("release", order_id, release_at))
        return bool(self._answer())


def test_auto_complete_calls_the_kitchen_with_the_start_number() -> None:
    handlers = Handlers()
    task = uuid4()
    timer = TimerInput(str(task), "2025-01-01T00:00:00Z", start_no=3)
    done = ActivityEnvironment().run(KitchenActivities(handlers).auto_complete, timer)
    assert done is True
    assert handlers.calls == [("complete", task, 3)]


def test_a_timer_armed_before_starts_were_numbered_is_the_first_start() -> None:
    handlers = Handlers()
    task = uuid4()
    timer = TimerInput(str(task), "2025-01-01T00:00:00Z")  # an in-flight input without start_no
    assert ActivityEnvironment().run(KitchenActivities(handlers).auto_complete, timer) is True
    assert handlers.calls == [("complete", task, 1)]


def test_release_passes_the_order_and_its_planned_instant() -> None:
    handlers = Handlers(result=False)  # released already: nothing to do
    order = uuid4()
    timer = ReleaseInput(str(order), "2025-01-01T00:01:30.250000Z")
    assert ActivityEnvironment().run(KitchenActivities(handlers).release_due, timer) is False
    at = datetime(2025, 1, 1, 0, 1, 30, 250000, tzinfo=UTC)
    assert handlers.calls == [("release", order, at)]


def test_requeue_passes_the_assignment_number() -> None:
    handlers = Handlers(result=False)
    task = uuid4()
    timer = TimerInput(str(task), "2025-01-01T00:00:00Z", assignment_no=4)
    assert ActivityEnvironment().run(KitchenActivities(handlers).requeue_stale, timer) is False
    assert handlers.calls == [("requeue", task, 4)]


def test_an_unknown_task_ends_cleanly() -> None:
    handlers = Handlers(result=NotFound("task gone"))
    timer = TimerInput(str(uuid4()), "2025-01-01T00:00:00Z")
    assert ActivityEnvironment().run(KitchenActivities(handlers).auto_complete, timer) is False


def test_a_broken_rule_is_not_retryable() -> None:
    handlers = Handlers(result=InvalidTransition("task is CANCELLED"))
    timer = TimerInput(str(uuid4()), "2025-01-01T00:00:00Z")
    with pytest.raises(ApplicationError) as raised:
        ActivityEnvironment().run(KitchenActivities(handlers).auto_complete, timer)
    assert raised.value.non_retryable
    assert raised.value.type == RULE_BROKEN


def test_other_failures_propagate_to_be_retried() -> None:
    handlers = Handlers(result=RuntimeError("database down"))
    timer = TimerInput(str(uuid4()), "2025-01-01T00:00:00Z")
    with pytest.raises(RuntimeError):
        ActivityEnvironment().run(KitchenActivities(handlers).auto_complete, timer)


def test_allocate_waits_for_the_queue_and_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activities, "HEARTBEAT_EVERY_SECS", 0.02)
    handlers = Handlers(pass_secs=0.2)
    waits: list[float] = []

    def catch_up(timeout: float) -> bool:
        waits.append(timeout)
        return False

    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    outcome = env.run(KitchenActivities(handlers, catch_up).allocate)
    assert outcome == PassOutcome(assigned=3, caught_up=False)
    assert waits == [activities.PROJECTION_WAIT_SECS]
    assert len(beats) >= 3


def test_activity_timeouts_and_retries_are_as_documented() -> None:
    assert common.allocate_options() == {
        "start_to_close_timeout": timedelta(seconds=60),
        "heartbeat_timeout": timedelta(seconds=10),
        "retry_policy": common.ALLOCATE_RETRY,
    }
    assert common.ALLOCATE_RETRY.maximum_attempts == 10
    assert common.ALLOCATE_RETRY.maximum_interval == timedelta(seconds=10)
    assert common.timer_options() == {
        "start_to_close_timeout": timedelta(seconds=20),
        "retry_policy": common.TIMER_RETRY,
    }
    assert common.TIMER_RETRY.maximum_attempts == 30
    assert common.TIMER_RETRY.initial_interval == timedelta(seconds=1)
    assert common.TIMER_RETRY.non_retryable_error_types == [RULE_BROKEN]
    # Heartbeats come often enough to beat the timeout several times over.
    assert common.ALLOCATE_HEARTBEAT.total_seconds() > activities.HEARTBEAT_EVERY_SECS * 3
    assert common.PASSES_PER_RUN == 500
    assert common.fire_options() == {
        "start_to_close_timeout": timedelta(seconds=120),
        "heartbeat_timeout": timedelta(seconds=10),
        "retry_policy": common.FIRE_RETRY,
    }
    assert common.FIRE_BATCH == 50
    assert common.TIMER_MAX_ATTEMPTS == 30
    # The batch call retries on a timer's schedule; a broken rule is one timer's outcome.
    assert common.FIRE_RETRY.maximum_interval == timedelta(seconds=30)
    assert common.FIRE_RETRY.non_retryable_error_types is None


def test_workflow_ids_are_deterministic_and_per_kitchen() -> None:
    assert common.allocation_workflow_id("main") == "allocation-main"
    assert common.timer_shard_workflow_id("main", 3) == "timers-3@main"
    assert common.timer_shard_workflow_id("a", 0) != common.timer_shard_workflow_id("b", 0)


def test_a_tasks_timers_all_go_to_one_stable_shard() -> None:
    task = UUID("00000000-0000-0000-0000-00000000000b")  # 11
    assert common.timer_shard(task, 4) == 3
    assert common.timer_shard(str(task), 4) == 3  # a string id is the same task
    shards = {common.timer_shard(uuid4(), 4) for _ in range(200)}
    assert shards == {0, 1, 2, 3}


def shard_timer(kind: str, subject: UUID, number: int = 1) -> ShardTimer:
    timer_id = f"{kind}-{subject}-{number}"
    return ShardTimer(timer_id, kind, str(subject), number, "2025-01-01T00:01:30.250000+00:00")


class PerTaskHandlers(Handlers):
    """Answers per task: a result, or an exception to raise."""

    def __init__(self, answers: dict[UUID, object]) -> None:
        super().__init__()
        self.answers = answers

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        self.calls.append(("complete", task_id, start_no))
        answer = self.answers.get(task_id, True)
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)


def test_fire_timers_gives_each_timer_its_own_outcome() -> None:
    """One failing (to retry), one refused by a rule, one unknown, one done: none of them
    costs another its command, and the batch runs in the given order."""
    flaky, broken, gone, fine = (uuid4() for _ in range(4))
    handlers = PerTaskHandlers(
        {flaky: RuntimeError("db down"), broken: InvalidTransition("no"), gone: NotFound("x")}
    )
    order, release_at = uuid4(), datetime(2025, 1, 1, 0, 1, 30, 250000, tzinfo=UTC)
    batch = [
        shard_timer("complete", flaky),
        shard_timer("complete", broken),
        shard_timer("complete", gone),
        shard_timer("complete", fine, 2),
        shard_timer("timeout", fine, 5),
        shard_timer("release", order, 0),
    ]
    outcomes = ActivityEnvironment().run(KitchenActivities(handlers).fire_timers, batch)
    assert [(o.done, o.error) for o in outcomes] == [
        (False, "retry"),
        (False, "broken"),
        (False, ""),
        (True, ""),
        (True, ""),
        (True, ""),
    ]
    assert [o.id for o in outcomes] == [t.id for t in batch]
    assert handlers.calls == [
        ("complete", flaky, 1),
        ("complete", broken, 1),
        ("complete", gone, 1),
        ("complete", fine, 2),
        ("requeue", fine, 5),
        ("release", order, release_at),
    ]


class BatchingHandlers(PerTaskHandlers):
    """Can complete several tasks in one command (``BatchCompletions``), like the kitchen:
    all or nothing - any refused or failing task fails the whole call."""

    def auto_complete_many(self, timers: list[tuple[UUID, int]]) -> list[bool]:
        self.calls.append(("complete_many", *timers))
        for task_id, _ in timers:
            answer = self.answers.get(task_id, True)
            if isinstance(answer, Exception):
                raise answer
        return [bool(self.answers.get(task_id, True)) for task_id, _ in timers]


def test_due_completions_of_a_batch_go_in_one_command() -> None:
    """Three completions and a timeout due together: one command for the completions (each
    its own result), then the timeout on its own."""
    a, b, c = uuid4(), uuid4(), uuid4()
    handlers = BatchingHandlers({b: False})  # b completed by hand meanwhile
    batch = [
        shard_timer("complete", a),
        shard_timer("timeout", a, 4),
        shard_timer("complete", b, 2),
        shard_timer("complete", c),
    ]
    outcomes = ActivityEnvironment().run(KitchenActivities(handlers).fire_timers, batch)
    assert [o.id for o in outcomes] == [t.id for t in batch]
    assert [(o.done, o.error) for o in outcomes] == [
        (True, ""),
        (True, ""),
        (False, ""),
        (True, ""),
    ]
    assert handlers.calls == [("complete_many", (a, 1), (b, 2), (c, 1)), ("requeue", a, 4)]


def test_a_failing_batch_of_completions_falls_back_to_one_by_one() -> None:
    """One task of the batch fails: the one command saves nothing, then each is fired
    alone and gets an outcome of its own (the others done, the failing one retried)."""
    a, flaky, broken = uuid4(), uuid4(), uuid4()
    handlers = BatchingHandlers({flaky: RuntimeError("db down"), broken: InvalidTransition("x")})
    batch = [shard_timer("complete", t) for t in (a, flaky, broken)]
    outcomes = ActivityEnvironment().run(KitchenActivities(handlers).fire_timers, batch)
    assert [(o.done, o.error) for o in outcomes] == [
        (True, ""),
        (False, "retry"),
        (False, "broken"),
    ]
    assert handlers.calls == [
        ("complete_many", (a, 1), (flaky, 1), (broken, 1)),
        ("complete", a, 1),
        ("complete", flaky, 1),
        ("complete", broken, 1),
    ]


def test_a_single_due_completion_takes_the_plain_command() -> None:
    task = uuid4()
    handlers = BatchingHandlers({})
    outcomes = ActivityEnvironment().run(
        KitchenActivities(handlers).fire_timers, [shard_timer("complete", task)]
    )
    assert [(o.done, o.error) for o in outcomes] == [(True, "")]
    assert handlers.calls == [("complete", task, 1)]


def test_commands_run_one_at_a_time_in_a_worker() -> None:
    """Concurrent commands in one process would only lose optimistic-concurrency races to
    each other: the activities take turns."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    running = 0
    overlap = 0
    lock = threading.Lock()

    class Slow(Handlers):
        def auto_complete(self, task_id: UUID, start_no: int) -> bool:
            nonlocal running, overlap
            with lock:
                running += 1
                overlap = max(overlap, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return True

    acts = KitchenActivities(Slow())
    timers = [TimerInput(str(uuid4()), "2025-01-01T00:00:00Z") for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda t: ActivityEnvironment().run(acts.auto_complete, t), timers))
    assert results == [True] * 8
    assert overlap == 1
