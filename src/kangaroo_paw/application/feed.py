"""EventFeed: follows the notification log from "now" and hands new events to a publisher
(the in-process bus that SSE subscribers listen on, in services mode)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.ports.publisher import EventPublisher

log = logging.getLogger(__name__)


class EventFeed:
    """A live, best-effort tail: starts at the head (no history) and keeps its position in
    memory, so a restart resumes from the new head. Durable delivery is the relay's job."""

    def __init__(
        self,
        kitchen: KitchenCore,
        publisher: EventPublisher,
        *,
        poll_secs: float = 0.5,
        batch_size: int = 500,
        wait_for_events: Callable[[float], object] | None = None,
    ) -> None:
        self.kitchen = kitchen
        self.publisher = publisher
        self.poll_secs = poll_secs
        self.batch_size = batch_size
        self.position = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._wait = wait_for_events or self._wait_local
        self._thread: threading.Thread | None = None
        kitchen.on_saved(self._wake.set)

    def _wait_local(self, timeout: float) -> object:
        woke = self._wake.wait(timeout)
        self._wake.clear()
        return woke

    def drain(self) -> int:
        """Publish everything recorded after the position; returns how many events."""
        total = 0
        while True:
            envelopes = self.kitchen.event_log(self.position, self.batch_size)
            if not envelopes:
                return total
            self.publisher.publish(envelopes)
            self.position = envelopes[-1].notification_id
            total += len(envelopes)

    def start(self) -> None:
        self.position = self.kitchen.head_position()
        self._thread = threading.Thread(target=self._run, name="kp-event-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # a dropped connection: try again on the next tick
                log.exception("event feed pass failed; retrying")
                self._stop.wait(1.0)
                continue
            self._wait(self.poll_secs)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
