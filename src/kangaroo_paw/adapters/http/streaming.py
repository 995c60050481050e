"""Live event delivery for one client: catch up from the log, then follow the bus."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Protocol

import anyio
import anyio.lowlevel
import anyio.to_thread

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.ports.envelope import Envelope

PAGE = 500
"""Events per read of the log: a replay's backlog is read page by page, never whole."""
READERS = 1
"""Page reads that may run at once across all the streams of an app. A replay's cost is CPU
(decoding events, holding the GIL); many replays at once would take every worker thread and
starve the other requests, so the rest wait their turn on the event loop instead."""
YIELD_EVERY = 20
"""Events a stream sends before it lets other tasks run (sending does not yield on its own)."""


class Subscription(Protocol):
    """What the stream needs from a bus subscription (``InProcessEventBus.subscribe()``)."""

    dropped: int

    def get(self, timeout: float) -> Envelope | None: ...

    def close(self) -> None: ...


class EventBus(Protocol):
    def subscribe(self, maxsize: int = ...) -> Subscription: ...


class EventStream:
    """Yields envelopes in notification order, each once, and ``None`` as a heartbeat tick.

    The subscription is opened before the catch-up read, so nothing published in between is
    missed; whatever the catch-up already sent is skipped by notification id. A subscription
    that dropped envelopes (a slow client) is repaired from the log. Without a bus the stream
    polls the log. It ends when ``stopping`` is set (graceful shutdown).
    """

    def __init__(
        self,
        kitchen: Kitchen,
        bus: EventBus | None = None,
        *,
        poll_secs: float = 0.2,
        heartbeat_secs: float = 15.0,
        stopping: threading.Event | None = None,
        mailbox: int = 1000,
    ) -> None:
        self.kitchen = kitchen
        self.bus = bus
        self.poll_secs = poll_secs
        self.heartbeat_secs = heartbeat_secs
        self.stopping = stopping or threading.Event()
        self.mailbox = mailbox
        self.readers = anyio.CapacityLimiter(READERS)

    async def envelopes(self, after: int | None = None) -> AsyncIterator[Envelope | None]:
        """Everything after notification ``after`` (default: only what happens from now)."""
        sub = self.bus.subscribe(self.mailbox) if self.bus is not None else None
        try:
            last = after
            if last is None:
                last = await anyio.to_thread.run_sync(self.kitchen.head_position)
            async for envelope in self._from_log(last):
                yield envelope
                last = envelope.notification_id
            async for item in self._follow(sub, last):
                yield item
        finally:
            if sub is not None:
                sub.close()

    async def _follow(self, sub: Subscription | None, last: int) -> AsyncIterator[Envelope | None]:
        dropped = sub.dropped if sub is not None else 0
        idle = 0.0
        while not self.stopping.is_set():
            if sub is None or sub.dropped != dropped:
                dropped = sub.dropped if sub is not None else 0
                fresh = [e async for e in self._from_log(last)]
            else:
                fresh = _drain(sub)
            sent = False
            for envelope in fresh:
                if envelope.notification_id > last:
                    yield envelope
                    last = envelope.notification_id
                    sent = True
            if sent:
                idle = 0.0
                continue
            await anyio.sleep(self.poll_secs)
            idle += self.poll_secs
            if idle >= self.heartbeat_secs:
                idle = 0.0
                yield None

    async def _from_log(self, after: int) -> AsyncIterator[Envelope]:
        while not self.stopping.is_set():
            page = await anyio.to_thread.run_sync(
                self.kitchen.event_log, after, PAGE, limiter=self.readers
            )
            for n, envelope in enumerate(page, 1):
                yield envelope
                after = envelope.notification_id
                if n % YIELD_EVERY == 0:
                    await anyio.lowlevel.checkpoint()
            if len(page) < PAGE:
                return


def _drain(sub: Subscription) -> list[Envelope]:
    out: list[Envelope] = []
    while len(out) < PAGE:
        envelope = sub.get(timeout=0)
        if envelope is None:
            break
        out.append(envelope)
    return out
