"""The projector: keeps the ready queue and the query read model current from the
notification log, each sink with its own durable position, and rebuilds them by replay."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.envelopes import Recorded
from kangaroo_paw.application.following import LogFollower, SavesAnnouncer, SinkStatus
from kangaroo_paw.application.projection import Projections
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel

log = logging.getLogger(__name__)

PROJECTED_TYPES = frozenset({"Order", "Task"})
PROJECTION_SINKS = frozenset({"queue", "sql"})

# progress(stage, done, total): stage "events" while the log is read, "aggregates" while
# the orders and tasks it names are projected.
Progress = Callable[[str, int, int], object]


class RebuildInterrupted(RuntimeError):
    """Another writer touched the projections while they were being rebuilt; run again."""


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
        announcer: SavesAnnouncer | None = None,
    ) -> None:
        if queue is None and read_model is None:
            raise ValueError("a projector needs at least one sink")
        self.kitchen = kitchen
        self.queue = queue
        self.read_model = read_model
        self.projections = Projections(kitchen)
        self.follower = LogFollower(
            kitchen,
            name="projector",
            batch_size=batch_size,
            poll_secs=poll_secs,
            announcer=announcer,
        )
        self.follower.before_batch(self.projections.forget)
        if queue is not None:
            self.follower.add_sink("queue", queue.position, self._apply_queue)
        if read_model is not None:
            self.follower.add_sink("sql", read_model.position, self._apply_rows)

    def _apply_queue(self, batch: Sequence[Recorded]) -> None:
        assert self.queue is not None
        self.projections.apply_to_queue(self.queue, batch)

    def _apply_rows(self, batch: Sequence[Recorded]) -> None:
        assert self.read_model is not None
        self.projections.apply_to_rows(self.read_model, batch)

    # -- following -----------------------------------------------------------------------------

    def drain(self) -> int:
        """Project everything recorded so far; returns the events read."""
        return self.follower.drain()

    def position(self) -> int:
        """The position every sink has reached (the lowest of them)."""
        return min(s.position for s in self.status(head=0))

    def status(self, head: int | None = None) -> list[SinkStatus]:
        """The projections' sinks (the follower may carry others: a bus, reactions)."""
        return [s for s in self.follower.status(head) if s.name in PROJECTION_SINKS]

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
        touched = list(latest.values())
        size = self.follower.batch_size
        for start in range(0, len(touched), size):
            chunk = touched[start : start + size]
            self._check_untouched()
            self.projections.forget()
            if self.queue is not None:
                self.projections.apply_to_queue(self.queue, chunk, position=0)
            if self.read_model is not None:
                self.projections.apply_to_rows(self.read_model, chunk, position=0)
            if progress is not None:
                progress("aggregates", start + len(chunk), len(touched))
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

    def _read_log(self, head: int, progress: Progress | None) -> tuple[dict[UUID, Recorded], int]:
        """The last event of every order and task recorded up to ``head``, and how many
        events were read."""
        latest: dict[UUID, Recorded] = {}
        position = read = 0
        if progress is not None:
            progress("events", 0, head)
        while position < head:
            page = self.kitchen.recorded(position, min(self.follower.batch_size, head - position))
            if not page:
                break
            for recorded in page:
                if recorded.aggregate_type in PROJECTED_TYPES:
                    latest.pop(recorded.aggregate_id, None)  # keep log order of last touch
                    latest[recorded.aggregate_id] = recorded
            position = page[-1].notification_id
            read += len(page)
            if progress is not None:
                progress("events", position, head)
        return latest, read
