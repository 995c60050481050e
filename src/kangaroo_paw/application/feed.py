"""The live event feed: follows the notification log from "now" and hands new events to a
publisher (the in-process bus that SSE subscribers listen on, in services mode)."""

from __future__ import annotations

from collections.abc import Callable

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.envelopes import envelopes
from kangaroo_paw.application.following import Cursor, LogFollower
from kangaroo_paw.ports.publisher import EventPublisher


class EventFeed:
    """A best-effort tail: starts at the head (no history) and keeps its position in memory,
    so a restart resumes from the new head. Durable delivery is the relay's job."""

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
        self.follower = LogFollower(
            kitchen,
            name="event-feed",
            batch_size=batch_size,
            poll_secs=poll_secs,
            wait_for_events=wait_for_events,
            announcer=kitchen,
        )
        self._cursor: Cursor = self.follower.add_cursor_sink(
            "bus", lambda batch: publisher.publish(envelopes(batch))
        )

    @property
    def position(self) -> int:
        return self._cursor.value

    def drain(self) -> int:
        """Publish everything recorded after the position; returns how many events."""
        return self.follower.drain()

    def start(self) -> None:
        self._cursor.value = self.kitchen.head_position()
        self.follower.start()

    def stop(self) -> None:
        self.follower.stop()
