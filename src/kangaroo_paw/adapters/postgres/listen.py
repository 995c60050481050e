"""PostgresNotificationListener: LISTEN on the event store's channel and wake followers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

log = logging.getLogger(__name__)

# eventsourcing's PostgresApplicationRecorder runs `NOTIFY <events table>` in every insert
# transaction; the Kitchen application's table is kitchen_events.
DEFAULT_CHANNEL = "kitchen_events"
RECONNECT_MAX_SECS = 5.0


class PostgresNotificationListener:
    """A background thread holding a LISTEN connection. ``wait(timeout)`` returns early
    when events were announced; when the connection is lost it reconnects with backoff and
    waiters simply time out, so their poll interval keeps them going meanwhile."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[TupleRow]],
        channel: str = DEFAULT_CHANNEL,
    ) -> None:
        self._connect = connect
        self.channel = channel
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.reconnects = 0

    def start(self) -> PostgresNotificationListener:
        self._thread = threading.Thread(target=self._run, name="kp-listen", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` s; True if woken by a notification."""
        fired = self._event.wait(timeout)
        self._event.clear()
        return fired

    def wake(self) -> None:
        self._event.set()

    def stop(self) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg
        from psycopg import sql

        failures = 0
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.connected.set()
                    failures = 0
                    self._event.set()  # anything committed while we were away
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._event.set()
            except psycopg.Error as exc:
                self.connected.clear()
                failures += 1
                self.reconnects += 1
                delay = min(float(failures), RECONNECT_MAX_SECS)
                log.warning("LISTEN %s lost (%s); reconnecting in %.0f s", self.channel, exc, delay)
                self._stop.wait(delay)
        self.connected.clear()
