"""InProcessEventBus against the EventPublisher contract, plus its own promises: one global
order, bounded mailboxes that drop the oldest for a slow reader, a bounded retained window."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from contract.publisher_contract import EventPublisherContract, envelope
from kangaroo_paw.adapters.memory.bus import InProcessEventBus, Subscription
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher


class TestInProcessEventBus(EventPublisherContract):
    subscription: Subscription

    @pytest.fixture
    def publisher(self) -> Iterator[EventPublisher]:
        bus = InProcessEventBus()
        self.subscription = bus.subscribe()
        yield bus
        bus.close()

    def received(self, publisher: EventPublisher, count: int) -> list[Envelope]:
        got = [self.subscription.get(timeout=1.0) for _ in range(count)]
        assert None not in got, "fewer envelopes arrived than were published"
        assert self.subscription.get(timeout=0) is None, "more envelopes arrived"
        return [e for e in got if e is not None]

    def test_one_global_order_across_keys(self, publisher: EventPublisher) -> None:
        batch = [envelope(n) for n in range(1, 31)]  # every envelope its own order id
        publisher.publish(batch[:10])
        publisher.publish(batch[10:])
        assert self.received(publisher, 30) == batch
        assert isinstance(publisher, InProcessEventBus)
        assert publisher.published == batch

    def test_every_subscriber_gets_everything(self) -> None:
        bus = InProcessEventBus()
        first, second = bus.subscribe(), bus.subscribe()
        batch = [envelope(n) for n in range(1, 4)]
        bus.publish(batch)
        for sub in (first, second):
            assert [sub.get(timeout=1) for _ in batch] == batch

    def test_a_slow_subscriber_loses_the_oldest_and_blocks_nobody(self) -> None:
        bus = InProcessEventBus()
        slow = bus.subscribe(maxsize=3)
        fast = bus.subscribe(maxsize=100)
        batch = [envelope(n) for n in range(1, 9)]
        bus.publish(batch)
        assert slow.dropped == 5
        assert [slow.get(timeout=1) for _ in range(3)] == batch[-3:]
        assert [fast.get(timeout=1) for _ in batch] == batch

    def test_unsubscribed_mailboxes_get_nothing_more(self) -> None:
        bus = InProcessEventBus()
        sub = bus.subscribe()
        sub.close()
        bus.publish([envelope(1)])
        assert sub.get(timeout=0) is None

    def test_the_retained_window_is_bounded(self) -> None:
        bus = InProcessEventBus(retain=5)
        batch = [envelope(n, uuid.uuid4()) for n in range(1, 13)]
        bus.publish(batch[:7])
        bus.publish(batch[7:])
        assert bus.published == batch[-5:]
