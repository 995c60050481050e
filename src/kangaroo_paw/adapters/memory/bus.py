"""InProcessEventBus: the embedded outbox transport; SSE subscribers listen on it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher


class Subscription:
    """A bounded mailbox of envelopes; a slow reader loses the oldest, never blocks others."""

    def __init__(self, bus: InProcessEventBus, maxsize: int) -> None:
        self._bus = bus
        self.mailbox: queue.Queue[Envelope] = queue.Queue(maxsize)
        self.dropped = 0

    def offer(self, envelope: Envelope) -> None:
        while True:
            try:
                self.mailbox.put_nowait(envelope)
                return
            except queue.Full:
                try:
                    self.mailbox.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout: float) -> Envelope | None:
        try:
            return self.mailbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)


class InProcessEventBus(EventPublisher):
    """Publishes to in-process subscribers and keeps the last ``retain`` envelopes."""

    def __init__(self, retain: int = 10_000) -> None:
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self.published: list[Envelope] = []
        self._retain = retain

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        with self._lock:
            self.published.extend(envelopes)
            del self.published[: max(0, len(self.published) - self._retain)]
            subscribers = list(self._subscribers)
        for sub in subscribers:
            for envelope in envelopes:
                sub.offer(envelope)

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, maxsize)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()
