"""KafkaEventPublisher holds the EventPublisher contract on the real broker: in order per key,
acknowledged before it returns, raising (never half-silent) when the broker is away."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import kafka
import pytest
from fault_proxy import FaultProxy
from kafka.partitioner.default import murmur2
from relay_harness import read_topic

from contract.publisher_contract import EventPublisherContract
from kangaroo_paw.adapters.kafka.publisher import KafkaEventPublisher
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


def envelopes(count: int, orders: int = 7) -> list[Envelope]:
    order_ids = [uuid.uuid4() for _ in range(orders)]
    return [
        Envelope(
            event_id=uuid.uuid4(),
            type="TASK_READY",
            aggregate_type="Task",
            aggregate_id=uuid.uuid4(),
            aggregate_version=1,
            notification_id=n,
            occurred_at="2026-01-01T12:00:00Z",
            order_id=order_ids[n % orders],
            task_id=None,
            data={"n": n, "ready_at": "2026-01-01T12:00:00Z"},
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def settings(kafka_topic: str) -> Settings:
    return Settings.from_env(kafka_topic=kafka_topic)


@pytest.fixture
def publisher(settings: Settings) -> Iterator[KafkaEventPublisher]:
    pub = KafkaEventPublisher.from_settings(settings, timeout_secs=10)
    yield pub
    pub.close()


def test_publishes_every_envelope_in_order_per_order_key(
    publisher: KafkaEventPublisher, settings: Settings
) -> None:
    sent = envelopes(1200)
    for start in range(0, len(sent), 500):
        publisher.publish(sent[start : start + 500])
    records = read_topic(settings)
    assert len(records) == len(sent)
    by_id = {str(e.event_id): e for e in sent}
    seen: dict[bytes, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = Envelope.from_dict(record.body)
        assert envelope == by_id[str(envelope.event_id)]
        assert record.key == str(envelope.order_id).encode()
        # The partition is the Java client's choice for the key, so every client agrees.
        assert record.partition == (murmur2(record.key) & 0x7FFFFFFF) % 3
        seen.setdefault(record.key, []).append(envelope.notification_id)
    for numbers in seen.values():
        assert numbers == sorted(numbers)


def test_nothing_to_publish_needs_no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    producers: list[dict[str, Any]] = []
    monkeypatch.setattr(kafka, "KafkaProducer", lambda **config: producers.append(config))
    pub = KafkaEventPublisher("127.0.0.1:1", "nowhere", timeout_secs=1)
    pub.publish([])
    pub.close()
    assert producers == []  # an empty batch never bootstraps a producer


def test_raises_while_the_broker_is_unreachable_and_recovers(settings: Settings) -> None:
    proxy = FaultProxy()  # not listening yet: connection refused
    pub = KafkaEventPublisher(
        settings.kafka_bootstrap,
        settings.kafka_topic,
        timeout_secs=2,
        config={"proxy_url": proxy.url},
    )
    try:
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017,PT011 - kafka-python's own error types
            pub.publish(envelopes(5))
        assert time.monotonic() - started < 15
        proxy.up()
        batch = envelopes(5)
        pub.publish(batch)
        proxy.down()
        with pytest.raises(Exception):  # noqa: B017,PT011
            pub.publish(envelopes(5))
    finally:
        pub.close()
        proxy.down()
    assert {r.body["event_id"] for r in read_topic(settings)} == {str(e.event_id) for e in batch}


class TestKafkaEventPublisherContract(EventPublisherContract):
    """The EventPublisher contract every adapter passes (tests/contract), on Kafka."""

    settings: Settings

    @pytest.fixture
    def publisher(self, settings: Settings) -> Iterator[EventPublisher]:
        self.settings = settings
        pub = KafkaEventPublisher.from_settings(settings, timeout_secs=10)
        yield pub
        pub.close()

    def received(self, publisher: EventPublisher, count: int) -> list[Envelope]:
        records = sorted(read_topic(self.settings), key=lambda r: (r.partition, r.offset))
        assert len(records) == count, f"{len(records)} records on the topic, expected {count}"
        return [Envelope.from_dict(r.body) for r in records]
