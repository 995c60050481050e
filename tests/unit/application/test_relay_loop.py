"""The relay loop over in-memory ports: order, acknowledgement before tracking, backoff."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest

from kangaroo_paw.adapters.memory.tracking import InMemoryPositionStore
from kangaroo_paw.application.relay import Relay, backoff_secs, relay_status
from kangaroo_paw.ports.envelope import Envelope


def envelope(n: int, order: UUID) -> Envelope:
    return Envelope(
        event_id=uuid4(),
        type="TASK_READY",
        aggregate_type="Task",
        aggregate_id=uuid4(),
        aggregate_version=1,
        notification_id=n,
        occurred_at="2026-01-01T00:00:00Z",
        order_id=order,
        task_id=None,
    )


class FakeLog:
    def __init__(self, count: int) -> None:
        orders = [uuid4() for _ in range(3)]
        self.envelopes = [envelope(n, orders[n % 3]) for n in range(1, count + 1)]

    def event_log(self, after: int = 0, limit: int = 100) -> list[Envelope]:
        return [e for e in self.envelopes if e.notification_id > after][:limit]

    def head_position(self) -> int:
        return len(self.envelopes)


class FlakyPublisher:
    """Fails the first ``failures`` calls after delivering half of the batch (as a broker
    outage mid-batch would)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.delivered: list[Envelope] = []
        self.calls = 0

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            self.delivered.extend(envelopes[: len(envelopes) // 2])
            raise ConnectionError("broker unavailable")
        self.delivered.extend(envelopes)

    def close(self) -> None:
        pass


def test_backoff_is_n_squared_capped_at_five_minutes() -> None:
    assert [backoff_secs(n) for n in (0, 1, 2, 3, 10, 17, 18, 100)] == [
        0,
        1,
        4,
        9,
        100,
        289,
        300,
        300,
    ]


def test_drain_publishes_everything_in_order_and_tracks_the_last_id() -> None:
    log, publisher, store = FakeLog(1234), FlakyPublisher(), InMemoryPositionStore()
    relay = Relay(log, publisher, store, batch_size=100)
    assert relay.drain() == 1234
    assert publisher.delivered == log.envelopes
    assert store.get() == 1234
    assert publisher.calls == 13  # 12 full batches and a partial one
    assert relay.drain() == 0
    assert relay_status(log, store).lag == 0


def test_a_failed_publish_leaves_the_position_and_the_retry_resends_the_batch() -> None:
    log, publisher, store = FakeLog(10), FlakyPublisher(failures=1), InMemoryPositionStore()
    relay = Relay(log, publisher, store, batch_size=10)
    with pytest.raises(ConnectionError):
        relay.step()
    assert store.get() == 0
    assert relay.step() == 10
    ids = [e.event_id for e in publisher.delivered]
    # Duplicates only of what was already delivered, and first occurrences stay in order.
    assert list(dict.fromkeys(ids)) == [e.event_id for e in log.envelopes]
    assert len(ids) == 15


def test_run_backs_off_records_failures_and_clears_them_on_success() -> None:
    log, publisher, store = FakeLog(5), FlakyPublisher(failures=2), InMemoryPositionStore()
    relay = Relay(log, publisher, store, batch_size=10, poll_secs=0.01)
    stop = threading.Event()
    waits: list[float] = []
    original_wait = stop.wait

    def recording_wait(timeout: float | None = None) -> bool:
        waits.append(timeout or 0)
        return original_wait(0)

    stop.wait = recording_wait  # type: ignore[method-assign]
    seen: list[int] = []

    def idle(timeout: float) -> None:
        seen.append(store.state().attempts)
        stop.set()

    relay.run(stop, idle)
    assert waits == [1.0, 4.0]  # min(n², 300) after the 1st and 2nd consecutive failure
    assert store.get() == 5
    assert seen == [0]
    state = relay_status(log, store)
    assert (state.attempts, state.last_error, state.lag) == (0, None, 0)


def test_failure_record_is_visible_in_the_status() -> None:
    log, store = FakeLog(3), InMemoryPositionStore()
    store.record_failure("ConnectionError: broker unavailable")
    status = relay_status(log, store)
    assert status.to_dict()["attempts"] == 1
    assert status.to_dict()["last_error"] == "ConnectionError: broker unavailable"
    assert status.lag == 3


def test_a_check_failure_stops_the_loop() -> None:
    class Lost(Exception):
        pass

    def check() -> None:
        raise Lost

    relay = Relay(FakeLog(1), FlakyPublisher(), InMemoryPositionStore(), poll_secs=0.01)
    with pytest.raises(Lost):
        relay.run(threading.Event(), lambda _t: None, check)


class FakeRecordLog(FakeLog):
    """A log that also hands out encoded records (as the relay's reader process does)."""

    def records(self, after: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        return [
            (e.notification_id, str(e.key).encode(), str(e.event_id).encode())
            for e in self.event_log(after, limit)
        ]


class FlakyRecordPublisher(FlakyPublisher):
    def __init__(self, failures: int = 0) -> None:
        super().__init__(failures)
        self.records: list[tuple[bytes, bytes]] = []

    def publish_records(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            self.records.extend(records[: len(records) // 2])
            raise ConnectionError("broker unavailable")
        self.records.extend(records)


def test_encoded_records_are_published_in_order_and_tracked_only_after_the_ack() -> None:
    log, publisher, store = FakeRecordLog(250), FlakyRecordPublisher(1), InMemoryPositionStore()
    relay = Relay(log, publisher, store, batch_size=100)
    with pytest.raises(ConnectionError):
        relay.step()
    assert store.get() == 0  # half a batch reached the broker: not tracked
    assert relay.drain() == 250
    expected = [(key, value) for _, key, value in log.records(0, 1000)]
    assert publisher.records == expected[:50] + expected  # the retry resends the batch
    assert publisher.delivered == []  # the envelope path was not used
    assert store.get() == 250


def test_envelopes_are_used_when_the_publisher_takes_no_records() -> None:
    log, publisher, store = FakeRecordLog(30), FlakyPublisher(), InMemoryPositionStore()
    assert Relay(log, publisher, store, batch_size=7).drain() == 30
    assert publisher.delivered == log.envelopes
