"""The EventPublisher contract: what the outbox transport must do with envelopes.

How to reuse it for another adapter (Kafka, ...)::

    from contract.publisher_contract import EventPublisherContract

    class TestKafkaPublisher(EventPublisherContract):
        @pytest.fixture
        def publisher(self, kafka_topic) -> Iterator[EventPublisher]:
            publisher = KafkaPublisher.from_settings(settings, topic=kafka_topic)
            self.topic = kafka_topic
            yield publisher
            publisher.close()

        def received(self, publisher: EventPublisher, count: int) -> list[Envelope]:
            return consume(self.topic, count, timeout=30)  # in the order the broker gives

A subclass provides the publisher (``make_publisher()`` or the ``publisher`` fixture) and
``received(publisher, count)``: the first ``count`` envelopes a consumer sees after
``publish`` returned (waiting for them if the transport is asynchronous), in delivery order.
Kafka keeps order per key (the order id), so the contract asks for order per key; a
transport with one global order is checked for that in its own test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher


def envelope(n: int, order_id: UUID | None = None, data: dict[str, Any] | None = None) -> Envelope:
    order_id = order_id or uuid.uuid4()
    task_id = uuid.uuid4()
    return Envelope(
        event_id=uuid.uuid5(order_id, f"event:{n}"),
        type="TASK_READY",
        aggregate_type="Task",
        aggregate_id=task_id,
        aggregate_version=n,
        notification_id=n,
        occurred_at=f"2026-01-01T12:00:{n % 60:02d}.000001Z",
        order_id=order_id,
        task_id=task_id,
        data=data if data is not None else {"ready_at": "2026-01-01T12:00:00Z", "n": n},
    )


class EventPublisherContract:
    """Publishing keeps order (per key at least), loses and changes nothing."""

    def make_publisher(self) -> EventPublisher:
        raise NotImplementedError("an EventPublisherContract subclass must provide a publisher")

    def received(self, publisher: EventPublisher, count: int) -> list[Envelope]:
        raise NotImplementedError("an EventPublisherContract subclass must read back envelopes")

    @pytest.fixture
    def publisher(self) -> Iterator[EventPublisher]:
        publisher = self.make_publisher()
        yield publisher
        publisher.close()

    def test_a_batch_arrives_in_order(self, publisher: EventPublisher) -> None:
        order_id = uuid.uuid4()
        batch = [envelope(n, order_id) for n in range(1, 21)]
        publisher.publish(batch)
        assert self.received(publisher, 20) == batch

    def test_batches_arrive_in_the_order_they_were_published(
        self, publisher: EventPublisher
    ) -> None:
        order_id = uuid.uuid4()
        first = [envelope(n, order_id) for n in range(1, 4)]
        second = [envelope(n, order_id) for n in range(4, 9)]
        publisher.publish(first)
        publisher.publish(second)
        assert self.received(publisher, 8) == first + second

    def test_order_is_kept_per_order_id(self, publisher: EventPublisher) -> None:
        orders = [uuid.uuid4() for _ in range(4)]
        batch = [envelope(n, orders[n % 4]) for n in range(1, 41)]
        publisher.publish(batch)
        got = self.received(publisher, 40)
        assert sorted(got, key=lambda e: e.notification_id) == batch  # nothing lost or added
        for order_id in orders:
            assert [e for e in got if e.order_id == order_id] == [
                e for e in batch if e.order_id == order_id
            ]

    def test_an_empty_batch_publishes_nothing(self, publisher: EventPublisher) -> None:
        publisher.publish([])
        marker = envelope(1)
        publisher.publish([marker])
        assert self.received(publisher, 1) == [marker]

    def test_envelopes_arrive_intact(self, publisher: EventPublisher) -> None:
        station_event = Envelope(
            event_id=uuid.uuid4(),
            type="STATION_DOWN",
            aggregate_type="Station",
            aggregate_id=uuid.uuid4(),
            aggregate_version=7,
            notification_id=123_456_789,
            occurred_at="2026-01-01T12:00:00Z",
            order_id=None,
            task_id=None,
            data={"at": "2026-01-01T12:00:00Z"},
        )
        rich = envelope(
            2,
            data={
                "items": {"burger_combo": 2, "café_crème": 1},
                "task_ids": [str(uuid.uuid4()), str(uuid.uuid4())],
                "estimate_secs": 80.5,
                "machine": None,
                "flag": True,
            },
        )
        publisher.publish([station_event, rich])
        got = self.received(publisher, 2)
        assert sorted(got, key=lambda e: e.notification_id) == [rich, station_event]
