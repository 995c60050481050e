"""One way to follow the notification log.

A ``LogFollower`` reads the log after the lowest position of its sinks and hands each sink
the events it has not yet seen. Everything that follows the log runs on it: the embedded
runtime (queue, read model, event bus, reactions), the services-mode projector (queue and
read model with durable positions), the API's live event feed (the bus, from the head) and
the simulator (queue, reactions, its observers). It runs a pass on demand (``drain``) or on
a thread of its own (``start``/``stop``), woken by a local save or by the store's listener.

A sink reports its own position, so a crash between two sinks replays only to the one
behind. Sinks without a durable position of their own get an in-memory ``Cursor``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from kangaroo_paw.application.envelopes import Recorded

log = logging.getLogger(__name__)

MAX_BACKOFF_SECS = 30.0

Handle = Callable[[Sequence[Recorded]], object]
# A pass runs only while it holds its turn (``with turn() as mine``): followers that share
# sinks take turns, and a rebuild holds the turn throughout.
Turn = Callable[[], AbstractContextManager[bool]]


def always_my_turn() -> AbstractContextManager[bool]:
    return nullcontext(True)


class EventLog(Protocol):
    """What a follower reads: the recorded events after a position, and the log's head."""

    def recorded(self, after: int = 0, limit: int = 100) -> list[Recorded]: ...

    def head_position(self) -> int: ...


class SavesAnnouncer(Protocol):
    """An application that calls its listeners after every save (the local wake-up)."""

    def on_saved(self, listener: Callable[[], None]) -> None: ...


@dataclass(frozen=True, slots=True)
class SinkStatus:
    """How far one sink has got behind the head of the log."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Cursor:
    """The in-memory position of a sink that keeps none of its own (reactions, a bus)."""

    def __init__(self, position: int = 0) -> None:
        self.value = position

    def get(self) -> int:
        return self.value


@dataclass(frozen=True, slots=True)
class _Sink:
    name: str
    position: Callable[[], int]
    handle: Handle


class LogFollower:
    """Reads ``log`` into its sinks, ``batch_size`` events at a time.

    ``before_batch`` callbacks run before every batch (a projection forgets the state it
    loaded for the previous one). ``wait_for_events(timeout)`` returns early when the store
    announces new events (PostgreSQL LISTEN/NOTIFY); without it the follower is woken by the
    saves of ``announcer`` (the application in this process) or polls every ``poll_secs``.
    """

    def __init__(
        self,
        log_: EventLog,
        *,
        name: str = "follower",
        batch_size: int = 500,
        poll_secs: float = 0.5,
        wait_for_events: Callable[[float], object] | None = None,
        announcer: SavesAnnouncer | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.log = log_
        self.name = name
        self.batch_size = batch_size
        self.poll_secs = poll_secs
        self._sinks: list[_Sink] = []
        self._before_batch: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._wait = wait_for_events or self._wait_local
        if announcer is not None:
            announcer.on_saved(self._wake.set)

    # -- sinks ---------------------------------------------------------------------------------

    def add_sink(self, name: str, position: Callable[[], int], handle: Handle) -> None:
        """A sink that keeps its own position (advanced by ``handle`` with the change)."""
        self._sinks.append(_Sink(name, position, handle))

    def add_cursor_sink(self, name: str, handle: Handle, start: int = 0) -> Cursor:
        """A sink whose position this follower keeps in memory, moved after ``handle``."""
        cursor = Cursor(start)

        def handled(batch: Sequence[Recorded]) -> None:
            handle(batch)
            cursor.value = batch[-1].notification_id

        self.add_sink(name, cursor.get, handled)
        return cursor

    def before_batch(self, callback: Callable[[], object]) -> None:
        self._before_batch.append(callback)

    def status(self, head: int | None = None) -> list[SinkStatus]:
        top = self.log.head_position() if head is None else head
        return [SinkStatus(s.name, s.position(), top) for s in self._sinks]

    # -- passes --------------------------------------------------------------------------------

    def catch_up(self, max_batches: int | None = None) -> int:
        """Hand every sink what it has not seen, up to the head as it stands (or at most
        ``max_batches`` batches); returns the events read. Not locked: see ``drain``."""
        handled = batches = 0
        while max_batches is None or batches < max_batches:
            positions = [sink.position() for sink in self._sinks]
            batch = self.log.recorded(min(positions, default=0), self.batch_size)
            if not batch:
                break
            for callback in self._before_batch:
                callback()
            for sink, position in zip(self._sinks, positions, strict=True):
                fresh = [r for r in batch if r.notification_id > position]
                if fresh:
                    sink.handle(fresh)
            handled += len(batch)
            batches += 1
        return handled

    def drain(self) -> int:
        """Process everything recorded so far, one pass at a time in this process."""
        with self._lock:
            return self.catch_up()

    def exclusive(self) -> AbstractContextManager[object]:
        """Hold off every pass in this process (``with follower.exclusive(): ...``)."""
        return self._lock

    def run(
        self,
        stop: threading.Event,
        wait_for_events: Callable[[float], object] | None = None,
        turn: Turn = always_my_turn,
    ) -> None:
        """Follow until ``stop`` is set. A failed pass (a dropped connection, Redis away) is
        logged and retried after ``min(n², 30)`` s; nothing is lost, because positions move
        only with the changes they cover."""
        wait = wait_for_events or self._wait
        failures = 0
        while not stop.is_set():
            try:
                with turn() as mine:
                    handled = self.drain() if mine else 0
            except Exception as exc:  # noqa: BLE001 - retried; positions did not move
                failures += 1
                delay = min(float(failures**2), MAX_BACKOFF_SECS)
                log.warning(
                    "%s pass failed (%s: %s); retrying in %.0f s",
                    self.name,
                    type(exc).__name__,
                    exc,
                    delay,
                    extra={"attempts": failures, "backoff_secs": delay},
                )
                stop.wait(delay)
                continue
            if failures:
                log.info("%s recovered after %d failed pass(es)", self.name, failures)
                failures = 0
            if handled:
                log.debug("%s handled %d event(s)", self.name, handled)
            if not stop.is_set():
                wait(self.poll_secs)

    # -- a thread of its own -------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, args=(self._stop,), name=f"kp-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _wait_local(self, timeout: float) -> object:
        woke = self._wake.wait(timeout)
        self._wake.clear()
        return woke
