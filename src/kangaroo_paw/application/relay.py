"""The outbox relay: publishes the notification log through the EventPublisher, in order,
and advances its durable position only after the transport acknowledged a whole batch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.ports.tracking import PositionStore

log = logging.getLogger(__name__)

MAX_BACKOFF_SECS = 300.0
ERROR_MAX_CHARS = 500


class NotificationLog(Protocol):
    """The part of the Kitchen the relay reads: the event log as envelopes."""

    def event_log(self, after: int = 0, limit: int = 100) -> list[Envelope]: ...

    def head_position(self) -> int: ...


EncodedRecord = tuple[int, bytes, bytes]
"""One event as it goes on the wire: ``(notification_id, key, value)``."""


@runtime_checkable
class RecordLog(Protocol):
    """A log that also hands out its events already encoded for the wire (the relay's reader
    process): ``records(after, limit)`` is ``event_log(after, limit)``, encoded."""

    def records(self, after: int, limit: int) -> list[EncodedRecord]: ...


@runtime_checkable
class RecordPublisher(Protocol):
    """A publisher that takes pre-encoded ``(key, value)`` pairs with ``publish``'s contract."""

    def publish_records(self, records: Sequence[tuple[bytes, bytes]]) -> None: ...


def backoff_secs(attempts: int) -> float:
    """Seconds to wait after ``attempts`` consecutive failures: ``min(n², 300)``."""
    return float(min(max(attempts, 0) ** 2, MAX_BACKOFF_SECS))


def describe(exc: BaseException) -> str:
    """A one-line, bounded description of a failure for the tracking record."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text[:ERROR_MAX_CHARS]


@dataclass(frozen=True, slots=True)
class RelayStatus:
    """What ``kangaroo-paw outbox status`` shows."""

    position: int
    head: int
    attempts: int
    last_error: str | None
    updated_at: datetime | None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }


def relay_status(events: NotificationLog, positions: PositionStore) -> RelayStatus:
    state = positions.state()
    return RelayStatus(
        position=state.position,
        head=events.head_position(),
        attempts=state.attempts,
        last_error=state.last_error,
        updated_at=state.updated_at,
    )


class _ReadAhead:
    """One batch read on a helper thread while the previous one is being published."""

    def __init__(self, events: NotificationLog, after: int, limit: int) -> None:
        self.after = after
        self._done = threading.Event()
        self._result: list[Envelope] = []
        self._error: BaseException | None = None
        thread = threading.Thread(
            target=self._read, args=(events, limit), name="kp-relay-read", daemon=True
        )
        thread.start()

    def _read(self, events: NotificationLog, limit: int) -> None:
        try:
            self._result = events.event_log(self.after, limit)
        except Exception as exc:  # noqa: BLE001 - handed to the relay thread, which records it
            self._error = exc
        finally:
            self._done.set()

    def get(self) -> list[Envelope]:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


class Relay:
    """One active relay loop. A batch is read after the stored position, published, and only
    then recorded as done; a failure leaves the position where it was, so the next attempt
    re-publishes the whole batch (duplicates carry the same ``event_id``; nothing is lost or
    reordered). Failures are recorded in the position store and back off ``min(n², 300)`` s."""

    def __init__(
        self,
        events: NotificationLog,
        publisher: EventPublisher,
        positions: PositionStore,
        *,
        batch_size: int = 500,
        poll_secs: float = 1.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.events = events
        self.publisher = publisher
        self.positions = positions
        self.batch_size = batch_size
        self.poll_secs = poll_secs
        self.published = 0  # events published by this instance (diagnostics, benchmarks)
        self._ahead: _ReadAhead | None = None
        # Both sides speak encoded records: the log encodes (elsewhere), the publisher sends.
        self._encoded: tuple[RecordLog, RecordPublisher] | None = None
        if isinstance(events, RecordLog) and isinstance(publisher, RecordPublisher):
            self._encoded = (events, publisher)

    def step(self) -> int:
        """Publish the next batch after the stored position; returns how many events.

        While a full batch is being published, the next one is already read on a helper
        thread (the log is append-only and gap-free, so a read ahead stays valid); a read
        ahead that no longer starts at the stored position is simply dropped."""
        position = self.positions.get()
        if self._encoded is not None:
            return self._step_encoded(position, *self._encoded)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.after == position:
            envelopes = ahead.get()
        else:
            envelopes = self.events.event_log(position, self.batch_size)
        if not envelopes:
            return 0
        if len(envelopes) == self.batch_size:
            self._ahead = _ReadAhead(self.events, envelopes[-1].notification_id, self.batch_size)
        self.publisher.publish(envelopes)
        self.positions.advance(envelopes[-1].notification_id)
        self.published += len(envelopes)
        return len(envelopes)

    def _step_encoded(self, position: int, log_: RecordLog, publisher: RecordPublisher) -> int:
        """``step`` with pre-encoded records (the log reads ahead on its own)."""
        records = log_.records(position, self.batch_size)
        if not records:
            return 0
        publisher.publish_records([(key, value) for _, key, value in records])
        self.positions.advance(records[-1][0])
        self.published += len(records)
        return len(records)

    def drain(self) -> int:
        """Publish everything recorded so far (raises on the first failure)."""
        total = 0
        while True:
            count = self.step()
            total += count
            if count < self.batch_size:
                return total

    def run(
        self,
        stop: threading.Event,
        wait_for_events: Callable[[float], object],
        check: Callable[[], object] = lambda: None,
    ) -> None:
        """Relay until ``stop`` is set. ``wait_for_events(timeout)`` returns early when new
        events are announced (LISTEN/NOTIFY) and otherwise acts as the polling interval;
        ``check()`` raises if this relay must stop being the active one (lost its lock).
        A failure of the position store itself propagates: the caller reconnects."""
        failing = self.positions.state().attempts > 0
        while not stop.is_set():
            try:
                count = self.step()
            except Exception as exc:  # noqa: BLE001 - any transport/read failure is retried
                attempts = self.positions.record_failure(describe(exc))
                delay = backoff_secs(attempts)
                log.warning(
                    "relay attempt %d failed (%s); retrying in %.0f s",
                    attempts,
                    describe(exc),
                    delay,
                    extra={"attempts": attempts, "backoff_secs": delay},
                )
                failing = True
                stop.wait(delay)
                check()
                continue
            if failing:  # a success clears the failure record even when nothing was due
                self.positions.advance(self.positions.get())
                failing = False
            if count < self.batch_size:
                wait_for_events(self.poll_secs)
                check()
