"""KafkaTopicConsumer on a real broker (a topic and group of the test's own) with a recording
scheduler: the event map, dedupe, commit-after-handling, poison parked on the dead-letter
topic, an outage waited out, and a restarted member resuming from the committed offsets."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from kangaroo_paw.adapters.kafka.consumer import KafkaDeadLetters, KafkaTopicConsumer
from kangaroo_paw.application.reactor import CoalescingScheduler, EventReactor
from kangaroo_paw.ports.scheduler import Timer
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.kafka


class RecordingScheduler:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.down = 0  # the next this-many calls fail as if Temporal were unreachable

    def _record(self, *call: Any) -> None:
        self._answer()
        self.calls.append(call)

    def _answer(self) -> None:
        if self.down > 0:
            self.down -= 1
            raise ConnectionError("temporal unreachable")

    def request_allocation(self) -> None:
        self._record("allocate")

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self._record("complete", task_id)

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self._record("timeout", task_id, assignment_no)

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        """What a batch's flush sends: one call, acknowledged (or failing) as a whole."""
        self._answer()
        for timer in timers:
            number = () if timer.kind == "complete" else (timer.number,)
            self.calls.append((timer.kind, timer.subject, *number))

    def close(self) -> None:
        pass


def envelope(kind: str, **data: Any) -> dict[str, Any]:
    task_id = uuid.uuid4()
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "aggregate_type": "Task",
        "aggregate_id": str(task_id),
        "aggregate_version": 1,
        "notification_id": 1,
        "occurred_at": "2025-03-01T12:00:00Z",
        "order_id": str(uuid.uuid4()),
        "task_id": str(task_id),
        "data": data,
    }


def started() -> dict[str, Any]:
    return envelope("TASK_STARTED", due_at="2025-03-01T12:01:00Z")


@pytest.fixture
def settings(kafka_topic: str) -> Settings:
    return Settings.from_env(
        kafka_topic=kafka_topic,
        kafka_dlq_topic=f"{kafka_topic}.dlq",
        kafka_consumer_group=f"kp-test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def produce(settings: Settings) -> Iterator[Callable[[list[bytes]], None]]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","))

    def send(values: list[bytes]) -> None:
        for value in values:
            producer.send(settings.kafka_topic, key=b"order-1", value=value)
        producer.flush(timeout=30)

    yield send
    producer.close()


class Running:
    """A consumer running on a thread until ``stop``."""

    def __init__(
        self,
        settings: Settings,
        scheduler: RecordingScheduler,
        barrier: Callable[[], None] | None = None,
    ) -> None:
        self.coalescing = CoalescingScheduler(scheduler, barrier=barrier)
        reactor = EventReactor(
            self.coalescing,
            45.0,
            is_transient=lambda exc: isinstance(exc, ConnectionError),
            retry_pause_secs=0.01,
        )
        self.consumer = KafkaTopicConsumer.from_settings(
            settings, reactor, self.coalescing, KafkaDeadLetters.from_settings(settings)
        )
        self.consumer.backoff_max_secs = 0.5
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stopping,))
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)
        self.consumer.close()


def wait_until(condition: Callable[[], bool], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def committed(settings: Settings) -> int:
    """The group's committed offsets, summed over the partitions (no group join)."""
    from kafka import KafkaConsumer, TopicPartition

    probe = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.kafka_consumer_group,
        enable_auto_commit=False,
    )
    try:
        partitions = probe.partitions_for_topic(settings.kafka_topic) or set()
        offsets = [probe.committed(TopicPartition(settings.kafka_topic, p)) for p in partitions]
    finally:
        probe.close()
    return sum(o or 0 for o in offsets)


def read_all(settings: Settings, topic: str, expected: int) -> list[Any]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=15000,
    )
    found: list[Any] = []
    try:
        for message in consumer:
            found.append(message)
            if len(found) >= expected:
                break
    finally:
        consumer.close()
    return found


def test_events_are_handled_once_and_poison_is_parked(
    settings: Settings, produce: Callable[[list[bytes]], None]
) -> None:
    start = started()
    assigned = envelope("TASK_ASSIGNED", assignment_no=1, assigned_at="2025-03-01T12:00:00Z")
    values = [
        json.dumps(envelope("TASK_READY")).encode(),
        json.dumps(envelope("TASK_READY")).encode(),
        json.dumps(assigned).encode(),
        json.dumps(start).encode(),
        b"this is not an envelope",
        json.dumps(start).encode(),  # the relay published it twice
        json.dumps(envelope("STAFF_TASK_TAKEN")).encode(),
    ]
    produce(values)
    scheduler = RecordingScheduler()
    running = Running(settings, scheduler)
    try:
        wait_until(lambda: running.consumer.stats.handled + running.consumer.stats.parked >= 6)
        wait_until(lambda: committed(settings) == len(values))
    finally:
        running.stop()
    assert sorted(c[0] for c in scheduler.calls) == ["allocate", "complete", "timeout"]
    assert ("complete", UUID(start["task_id"])) in scheduler.calls
    assert ("timeout", UUID(assigned["task_id"]), 1) in scheduler.calls
    assert running.consumer.stats.duplicates == 1
    assert running.consumer.stats.parked == 1
    [parked] = read_all(settings, settings.kafka_dlq_topic, 1)
    assert parked.value == b"this is not an envelope"
    headers = dict(parked.headers)
    assert headers["kp-source-topic"].decode() == settings.kafka_topic
    assert headers["kp-source-offset"] == b"4"
    assert headers["kp-error"].startswith(b"undecodable")


def test_an_outage_is_waited_out_not_parked(
    settings: Settings, produce: Callable[[list[bytes]], None]
) -> None:
    values = [json.dumps(started()).encode() for _ in range(5)]
    produce(values)
    scheduler = RecordingScheduler()
    scheduler.down = 6
    running = Running(settings, scheduler)
    try:
        wait_until(lambda: len(scheduler.calls) == 5)
        wait_until(lambda: committed(settings) == 5)
    finally:
        running.stop()
    assert running.consumer.stats.parked == 0
    assert running.consumer.stats.stalls >= 1
    assert len({c[1] for c in scheduler.calls}) == 5


def test_a_restarted_member_resumes_after_the_committed_offset(
    settings: Settings, produce: Callable[[list[bytes]], None]
) -> None:
    produce([json.dumps(started()).encode() for _ in range(3)])
    first = RecordingScheduler()
    running = Running(settings, first)
    try:
        wait_until(lambda: committed(settings) == 3)
    finally:
        running.stop()
    later = [started() for _ in range(2)]
    produce([json.dumps(e).encode() for e in later])
    second = RecordingScheduler()
    running = Running(settings, second)
    try:
        wait_until(lambda: committed(settings) == 5)
    finally:
        running.stop()
    assert len(first.calls) == 3
    assert [c[1] for c in second.calls] == [UUID(e["task_id"]) for e in later]


def test_a_batch_whose_calls_fail_at_the_barrier_is_polled_again(
    settings: Settings, produce: Callable[[list[bytes]], None]
) -> None:
    """Deferred scheduler calls (sent concurrently, acknowledged at the flush) that fail:
    nothing of the batch is committed or remembered, and the batch is handled again."""
    events = [started() for _ in range(4)]
    produce([json.dumps(e).encode() for e in events])
    scheduler = RecordingScheduler()
    failures = [ConnectionError("an RPC of the batch failed")] * 2

    def barrier() -> None:
        if failures:
            raise failures.pop()

    running = Running(settings, scheduler, barrier)
    try:
        wait_until(lambda: committed(settings) == 4)
    finally:
        running.stop()
    stats = running.consumer.stats
    assert stats.stalls >= 2
    assert stats.parked == 0
    assert stats.handled == 4  # counted once: only the settled batch counts
    assert {c[1] for c in scheduler.calls} == {UUID(e["task_id"]) for e in events}
