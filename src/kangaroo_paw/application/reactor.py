"""The topic consumer's logic, apart from Kafka: decode an event, skip one already handled
(by ``event_id``), react to it (``reactions.react_to_envelope``), retry a failure a few
times, and say when a record is poison — to be parked, never retried forever nor silently
dropped."""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from kangaroo_paw.application.reactions import react_to_envelope
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.scheduler import Scheduler, Timer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_PAUSE_SECS = 0.2
SEEN_CAPACITY = 100_000


class Verdict(Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    POISON = "poison"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record; ``error`` says why a poison record is poison."""

    verdict: Verdict
    envelope: Envelope | None = None
    error: str | None = None
    attempts: int = 0


class Unavailable(Exception):
    """The scheduler's backend is down: wait and try again, do not count it against the
    record (an outage would otherwise park every event)."""


class SeenEvents:
    """A bounded LRU of handled event ids. Across restarts the deterministic timer ids (one
    per task start, one per assignment, deduped by the scheduler) keep redelivery harmless;
    this set only saves a redelivered burst its round trips."""

    def __init__(self, capacity: int = SEEN_CAPACITY) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[UUID, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)  # type: ignore[arg-type]
            return True
        return False

    def add(self, event_id: UUID) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


class CoalescingScheduler(Scheduler):
    """Holds allocation requests and timers back until ``flush``: a batch of records asks
    for one pass, not one per READY, and arms its timers in one ``schedule_timers`` call
    (one signal per timer shard on Temporal, not one workflow start per timer). The consumer
    flushes before it commits, so a committed offset never hides an unsent request or timer.

    ``barrier`` (optional) is called at the end of every flush: a scheduler that sends its
    calls concurrently (``TemporalScheduler(deferred=True)``) waits there until every call
    of the batch is acknowledged, and raises if one failed."""

    def __init__(self, inner: Scheduler, barrier: Callable[[], None] | None = None) -> None:
        self.inner = inner
        self.barrier = barrier
        self.requested = False
        self.flushed = 0
        self.held: dict[str, Timer] = {}  # by id: a batch re-handled after a failure adds none

    def request_allocation(self) -> None:
        self.requested = True

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self._hold(Timer.completion(task_id, start_no, due_at))

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self._hold(Timer.timeout(task_id, assignment_no, deadline))

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        self._hold(Timer.release(order_id, release_at))

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        for timer in timers:
            self._hold(timer)

    def _hold(self, timer: Timer) -> None:
        self.held.setdefault(timer.id, timer)

    def flush(self) -> None:
        """Send the held request and timers, if any, and wait at the barrier; if anything
        fails they stay held (and the exception propagates)."""
        sent = self.requested
        timers = list(self.held.values())
        try:
            if timers:
                self.inner.schedule_timers(timers)
            if sent:
                self.inner.request_allocation()
            if self.barrier is not None:
                self.barrier()
        except BaseException:
            self.requested = self.requested or sent
            raise
        for timer in timers:
            self.held.pop(timer.id, None)
        if sent:
            self.requested = False
            self.flushed += 1

    def close(self) -> None:
        self.inner.close()


def decode(raw: bytes | None) -> Envelope:
    """The envelope in a record value; ValueError (or a subclass) if it is not one."""
    if raw is None:
        raise ValueError("empty record")
    payload = json.loads(raw)
    if not isinstance(payload, dict):
        raise ValueError("record is not a JSON object")
    try:
        return Envelope.from_dict(payload)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an event envelope: {exc!r}") from exc


class EventReactor:
    """Handles one record at a time; ``scheduler`` is usually a ``CoalescingScheduler``.
    A handled event counts as seen once the caller ``remember``s it — after the batch's
    scheduler calls are known to have landed."""

    def __init__(
        self,
        scheduler: Scheduler,
        assignment_ttl_secs: float,
        *,
        is_transient: Callable[[BaseException], bool] = lambda exc: False,
        max_attempts: int = MAX_ATTEMPTS,
        retry_pause_secs: float = RETRY_PAUSE_SECS,
        seen: SeenEvents | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scheduler = scheduler
        self.ttl = assignment_ttl_secs
        self.is_transient = is_transient
        self.max_attempts = max_attempts
        self.retry_pause_secs = retry_pause_secs
        self.seen = seen if seen is not None else SeenEvents()
        self._sleep = sleep
        self._batch: set[UUID] = set()  # handled, not yet remembered (nor forgotten)

    def handle(self, raw: bytes | None) -> Outcome:
        """HANDLED, DUPLICATE or POISON; raises ``Unavailable`` while the backend is down."""
        try:
            envelope = decode(raw)
        except ValueError as exc:
            return Outcome(Verdict.POISON, error=f"undecodable: {exc}")
        if envelope.event_id in self._batch or envelope.event_id in self.seen:
            return Outcome(Verdict.DUPLICATE, envelope)
        attempt = 0
        while True:
            attempt += 1
            try:
                react_to_envelope(envelope, self.scheduler, self.ttl)
            except Exception as exc:
                if self.is_transient(exc):
                    raise Unavailable(str(exc)) from exc
                log.warning(
                    "reacting to %s %s failed (attempt %d/%d): %r",
                    envelope.type,
                    envelope.event_id,
                    attempt,
                    self.max_attempts,
                    exc,
                )
                if attempt >= self.max_attempts:
                    return Outcome(Verdict.POISON, envelope, f"handler failed: {exc!r}", attempt)
                self._sleep(self.retry_pause_secs * attempt)
                continue
            self._batch.add(envelope.event_id)
            return Outcome(Verdict.HANDLED, envelope, attempts=attempt)

    def remember(self, outcomes: Iterable[Outcome]) -> None:
        """The batch's scheduler calls landed: its handled events count as seen (so a
        redelivery is skipped)."""
        for outcome in outcomes:
            if outcome.verdict is Verdict.HANDLED and outcome.envelope is not None:
                self.seen.add(outcome.envelope.event_id)
        self._batch.clear()

    def forget(self) -> None:
        """The batch's scheduler calls failed: its events will be handled again."""
        self._batch.clear()
