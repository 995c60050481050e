"""The topic consumer's logic without Kafka: decode, dedupe by event_id, react, retry a few
times, call a record poison, hold allocation requests until a flush, wait out outages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from kangaroo_paw.application.reactor import (
    CoalescingScheduler,
    EventReactor,
    SeenEvents,
    Unavailable,
    Verdict,
    decode,
)
from kangaroo_paw.ports.scheduler import Timer


class RecordingScheduler:
    """Scheduler port that records calls; ``failures`` makes the next calls raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.failures: list[Exception] = []

    def _record(self, *call: Any) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.calls.append(call)

    def request_allocation(self) -> None:
        self._record("allocate")

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self._record("complete", task_id, start_no, due_at)

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self._record("timeout", task_id, assignment_no, deadline)

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        self._record("timers", [timer.id for timer in timers])

    def close(self) -> None:
        self._record("close")


T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def record(kind: str, **data: Any) -> bytes:
    task_id = uuid4()
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "type": kind,
            "aggregate_type": "Task",
            "aggregate_id": str(task_id),
            "aggregate_version": 3,
            "notification_id": 17,
            "occurred_at": T0.isoformat(),
            "order_id": str(uuid4()),
            "task_id": str(task_id),
            "data": data,
        }
    ).encode()


def reactor_of(scheduler: Any, **options: Any) -> EventReactor:
    options.setdefault("sleep", lambda secs: None)
    return EventReactor(scheduler, 45.0, **options)


def test_each_event_type_maps_to_its_scheduler_call() -> None:
    scheduler = RecordingScheduler()
    reactor = reactor_of(scheduler)
    assigned = record("TASK_ASSIGNED", assignment_no=2, assigned_at="2025-03-01T12:00:00Z")
    started = record("TASK_STARTED", due_at="2025-03-01T12:01:20Z")
    for raw in (record("TASK_READY"), assigned, started, record("STAFF_TASK_TAKEN")):
        assert reactor.handle(raw).verdict is Verdict.HANDLED
    task_assigned = decode(assigned).task_id
    task_started = decode(started).task_id
    assert scheduler.calls == [
        ("allocate",),
        ("timeout", task_assigned, 2, T0 + timedelta(seconds=45)),
        ("complete", task_started, 1, T0 + timedelta(seconds=80)),
    ]


def test_a_redelivered_event_is_handled_once() -> None:
    scheduler = RecordingScheduler()
    reactor = reactor_of(scheduler)
    raw = record("TASK_STARTED", due_at="2025-03-01T12:01:20Z")
    first = reactor.handle(raw)
    assert first.verdict is Verdict.HANDLED
    assert reactor.handle(raw).verdict is Verdict.DUPLICATE  # twice in one batch
    reactor.remember([first])
    assert reactor.handle(raw).verdict is Verdict.DUPLICATE  # redelivered later
    assert len(scheduler.calls) == 1


def test_a_forgotten_batch_is_handled_again() -> None:
    """The batch's scheduler calls failed: its events are not seen, the retry handles them."""
    scheduler = RecordingScheduler()
    reactor = reactor_of(scheduler)
    raw = record("TASK_STARTED", due_at="2025-03-01T12:01:20Z")
    assert reactor.handle(raw).verdict is Verdict.HANDLED
    reactor.forget()
    assert reactor.handle(raw).verdict is Verdict.HANDLED
    assert len(scheduler.calls) == 2


def test_a_flush_waits_at_the_barrier_and_keeps_the_request_if_it_fails() -> None:
    inner = RecordingScheduler()
    failures = [ConnectionError("an RPC of the batch failed")]

    def barrier() -> None:
        if failures:
            raise failures.pop()

    coalescing = CoalescingScheduler(inner, barrier=barrier)
    coalescing.request_allocation()
    with pytest.raises(ConnectionError):
        coalescing.flush()
    assert coalescing.requested
    coalescing.flush()
    assert not coalescing.requested
    assert inner.calls == [("allocate",), ("allocate",)]


@pytest.mark.parametrize(
    "raw", [None, b"", b"not json", b"[1, 2]", b'{"type": "TASK_READY"}', b"\xff\xfe"]
)
def test_an_undecodable_record_is_poison_at_once(raw: bytes | None) -> None:
    scheduler = RecordingScheduler()
    outcome = reactor_of(scheduler).handle(raw)
    assert outcome.verdict is Verdict.POISON
    assert outcome.error is not None
    assert outcome.error.startswith("undecodable")
    assert scheduler.calls == []


def test_a_handler_that_keeps_failing_makes_the_record_poison() -> None:
    scheduler = RecordingScheduler()
    reactor = reactor_of(scheduler, max_attempts=3)
    outcome = reactor.handle(record("TASK_ASSIGNED", assignment_no=1))  # no assigned_at
    assert outcome.verdict is Verdict.POISON
    assert outcome.attempts == 3
    assert "KeyError" in (outcome.error or "")


def test_a_handler_that_fails_once_is_retried() -> None:
    scheduler = RecordingScheduler()
    scheduler.failures = [RuntimeError("flaky")]
    outcome = reactor_of(scheduler).handle(record("TASK_READY"))
    assert outcome.verdict is Verdict.HANDLED
    assert outcome.attempts == 2


def test_an_outage_is_not_counted_against_the_record() -> None:
    scheduler = RecordingScheduler()
    scheduler.failures = [ConnectionError("down")] * 5
    reactor = reactor_of(scheduler, is_transient=lambda exc: isinstance(exc, ConnectionError))
    raw = record("TASK_READY")
    for _ in range(5):
        with pytest.raises(Unavailable):
            reactor.handle(raw)
    assert reactor.handle(raw).verdict is Verdict.HANDLED  # not seen: it never succeeded


def test_allocation_requests_are_held_until_a_flush() -> None:
    inner = RecordingScheduler()
    coalescing = CoalescingScheduler(inner)
    reactor = reactor_of(coalescing)
    for kind in ("TASK_READY", "TASK_COMPLETED", "TASK_REQUEUED", "STATION_UP"):
        reactor.handle(record(kind))
    assert inner.calls == []
    coalescing.flush()
    coalescing.flush()
    assert inner.calls == [("allocate",)]


def test_a_failed_flush_keeps_the_request() -> None:
    inner = RecordingScheduler()
    coalescing = CoalescingScheduler(inner)
    coalescing.request_allocation()
    inner.failures = [ConnectionError("down")]
    with pytest.raises(ConnectionError):
        coalescing.flush()
    coalescing.flush()
    assert inner.calls == [("allocate",)]


def test_timers_are_held_until_a_flush_and_sent_in_one_call() -> None:
    inner = RecordingScheduler()
    coalescing = CoalescingScheduler(inner)
    task, order = uuid4(), uuid4()
    coalescing.schedule_completion(task, 1, T0)
    coalescing.schedule_timeout(task, 1, T0)
    coalescing.schedule_completion(task, 1, T0)  # a redelivered event in the same batch
    coalescing.schedule_release(order, T0)
    assert inner.calls == []
    coalescing.flush()
    coalescing.flush()
    assert inner.calls == [
        ("timers", [f"complete-{task}-1", f"timeout-{task}-1", Timer.release(order, T0).id])
    ]


def test_a_failed_flush_keeps_the_timers_without_growing() -> None:
    """The consumer handles a failed batch again: its timers are held once, not twice."""
    inner = RecordingScheduler()
    coalescing = CoalescingScheduler(inner)
    task = uuid4()
    coalescing.schedule_completion(task, 1, T0)
    inner.failures = [ConnectionError("down")]
    with pytest.raises(ConnectionError):
        coalescing.flush()
    coalescing.schedule_completion(task, 1, T0)  # the batch handled again
    coalescing.flush()
    assert inner.calls == [("timers", [f"complete-{task}-1"])]


def test_seen_events_forget_the_oldest_beyond_capacity() -> None:
    seen = SeenEvents(capacity=3)
    ids = [uuid4() for _ in range(4)]
    for event_id in ids[:3]:
        seen.add(event_id)
    assert ids[0] in seen  # touching it makes ids[1] the oldest
    seen.add(ids[3])
    assert len(seen) == 3
    assert ids[1] not in seen
    assert ids[0] in seen
    assert ids[3] in seen
