"""The projector: keeps the ready queue and the query read model current from the
notification log, each sink with its own durable position, and rebuilds them by replay."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.projection import Follower, Projections
from kangaroo_paw.domain.task import Task
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel

log = logging.getLogger(__name__)

MAX_BACKOFF_SECS = 30.0
PROJECTED_TYPES = frozenset({"Order", "Task"})

# progress(stage, done, total): stage "events" while the log is read, "aggregates" while
# the orders and tasks it names are projected.
Progress = Callable[[str, int, int], object]
# A pass runs only while it holds its turn (``with turn() as mine``): projectors that share
# sinks take turns, and a rebuild holds the turn throughout, so no pass writes into sinks
# that it has just cleared.
Turn = Callable[[], AbstractContextManager[bool]]


def always_my_turn() -> AbstractContextManager[bool]:
    return nullcontext(True)


@dataclass(frozen=True, slots=True)
class SinkStatus:
    """How far one projection has got behind the head of the log."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class RebuildInterrupted(RuntimeError):
    """Another writer touched the projections while they were being rebuilt; run again."""


class SharedLoads(Projections):
    """Projections that load a batch's tasks once for both sinks (the queue and the rows
    of one batch are computed from the same state); ``forget()`` before every new batch."""

    def __init__(self, kitchen: KitchenCore) -> None:
        super().__init__(kitchen)
        self._memo: tuple[tuple[int, int, int], list[Task | UUID]] | None = None

    def forget(self) -> None:
        self._memo = None

    def _tasks(self, envelopes: Sequence[Envelope]) -> list[Task | UUID]:
        key = (len(envelopes), envelopes[0].notification_id, envelopes[-1].notification_id)
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, super()._tasks(envelopes))
        return self._memo[1]


class Projector:
    """Follows the log into the ready queue (``queue``) and the read model (``sql``).

    Each sink stores its position atomically with its change (a Lua script in Redis, the
    same transaction in PostgreSQL), and rows are computed from current aggregate state, so a
    crash at any point is repaired by simply following on: a replayed batch changes nothing.
    """

    def __init__(
        self,
        kitchen: KitchenCore,
        *,
        queue: ReadyQueue | None = None,
        read_model: ReadModel | None = None,
        batch_size: int = 500,
        poll_secs: float = 1.0,
    ) -> None:
        if queue is None and read_model is None:
            raise ValueError("a projector needs at least one sink")
        self.kitchen = kitchen
        self.queue = queue
        self.read_model = read_model
        self.poll_secs = poll_secs
        self.projections = SharedLoads(kitchen)
        self.follower = Follower(kitchen, batch_size=batch_size)
        if queue is not None:
            self.follower.add_sink("queue", queue.position, self._apply_queue)
        if read_model is not None:
            self.follower.add_sink("sql", read_model.position, self._apply_rows)

    def _apply_queue(self, envelopes: Sequence[Envelope], position: int | None = None) -> None:
        assert self.queue is not None
        ops = self.projections.queue_ops(envelopes)
        self.queue.apply(ops, envelopes[-1].notification_id if position is None else position)

    def _apply_rows(self, envelopes: Sequence[Envelope], position: int | None = None) -> None:
        assert self.read_model is not None
        orders, tasks = self.projections.rows(envelopes)
        at = envelopes[-1].notification_id if position is None else position
        self.read_model.save(orders, tasks, at)

    # -- following -----------------------------------------------------------------------------

    def drain(self) -> int:
        """Project everything recorded so far; returns the events read."""
        total = 0
        while True:
            self.projections.forget()  # state may have moved on since the last batch
            handled = self.follower.catch_up(max_batches=1)
            if not handled:
                return total
            total += handled

    def position(self) -> int:
        """The position every sink has reached (the lowest of them)."""
        return min(s.position for s in self.status(head=0))

    def status(self, head: int | None = None) -> list[SinkStatus]:
        top = self.kitchen.head_position() if head is None else head
        result = []
        if self.queue is not None:
            result.append(SinkStatus("queue", self.queue.position(), top))
        if self.read_model is not None:
            result.append(SinkStatus("sql", self.read_model.position(), top))
        return result

    def run(
        self,
        stop: threading.Event,
        wait_for_events: Callable[[float], object] | None = None,
        turn: Turn = always_my_turn,
    ) -> None:
        """Project until ``stop`` is set. ``wait_for_events(timeout)`` returns early when the
        store announces new events (LISTEN/NOTIFY); without it, poll every ``poll_secs``.
        A failed pass (a dropped connection, Redis away) is logged and retried with backoff;
        nothing is lost because the positions only move with the changes they cover."""
        wait = wait_for_events or stop.wait
        failures = 0
        while not stop.is_set():
            try:
                with turn() as mine:
                    handled = self.drain() if mine else 0
            except Exception as exc:  # noqa: BLE001 - retried; positions did not move
                failures += 1
                delay = min(float(failures**2), MAX_BACKOFF_SECS)
                log.warning(
                    "projector pass failed (%s: %s); retrying in %.0f s",
                    type(exc).__name__,
                    exc,
                    delay,
                    extra={"attempts": failures, "backoff_secs": delay},
                )
                stop.wait(delay)
                continue
            if failures:
                log.info("projector recovered after %d failed pass(es)", failures)
                failures = 0
            if handled:
                log.debug("projected %d event(s)", handled)
            if not stop.is_set():
                wait(self.poll_secs)

    # -- rebuilding ----------------------------------------------------------------------------

    def clear(self) -> None:
        if self.queue is not None:
            self.queue.clear()
        if self.read_model is not None:
            self.read_model.clear()

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every sink and replay the event store into it; returns the events read.

        Rows are computed from current state, so replaying event by event would load a task
        once per batch that touched it. The rebuild reads the log up to its head first,
        then projects every order and task it names exactly once, and only then records the
        head as the position: a crash midway leaves position 0 and the next pass replays.
        """
        self.clear()
        head = self.kitchen.head_position()
        latest, read = self._read_log(head, progress)
        envelopes = list(latest.values())
        size = self.follower.batch_size
        for start in range(0, len(envelopes), size):
            chunk = envelopes[start : start + size]
            self._check_untouched()
            self.projections.forget()
            if self.queue is not None:
                self._apply_queue(chunk, position=0)
            if self.read_model is not None:
                self._apply_rows(chunk, position=0)
            if progress is not None:
                progress("aggregates", start + len(chunk), len(envelopes))
        if self.queue is not None:
            self.queue.apply([], head)
        if self.read_model is not None:
            self.read_model.save([], [], head)
        self.projections.forget()
        return read

    def _check_untouched(self) -> None:
        """Chunks go in at position 0; a sink that moved meanwhile was written by a pass
        that should have waited its turn, and chunks would now be skipped."""
        moved = {s.name: s.position for s in self.status(head=0) if s.position}
        if moved:
            raise RebuildInterrupted(f"projections written during the rebuild: {moved}")

    def _read_log(self, head: int, progress: Progress | None) -> tuple[dict[UUID, Envelope], int]:
        """The last envelope of every order and task recorded up to ``head``, and how many
        events were read."""
        latest: dict[UUID, Envelope] = {}
        position = read = 0
        if progress is not None:
            progress("events", 0, head)
        while position < head:
            page = self.kitchen.event_log(position, min(self.follower.batch_size, head - position))
            if not page:
                break
            for envelope in page:
                if envelope.aggregate_type in PROJECTED_TYPES:
                    latest.pop(envelope.aggregate_id, None)  # keep log order of last touch
                    latest[envelope.aggregate_id] = envelope
            position = page[-1].notification_id
            read += len(page)
            if progress is not None:
                progress("events", position, head)
        return latest, read
