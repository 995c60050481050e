"""EmbeddedRuntime: one process plays relay, projector and consumer.

It follows the notification log (a ``LogFollower`` woken by the kitchen's own saves) into the
ready queue, the read model, the event bus and the reactions, and after a restart rebuilds
what it needs and re-arms the timers that the state implies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kangaroo_paw.application.envelopes import Recorded, envelopes
from kangaroo_paw.application.following import Cursor
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.projector import Projector
from kangaroo_paw.application.reactions import react, rearm
from kangaroo_paw.application.views import TaskView
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel
from kangaroo_paw.ports.scheduler import Scheduler

log = logging.getLogger(__name__)


class EmbeddedRuntime:
    """The in-process follower of the embedded mode and of the simulator."""

    def __init__(
        self,
        kitchen: Kitchen,
        queue: ReadyQueue,
        read_model: ReadModel | None,
        bus: EventPublisher | None,
        scheduler: Scheduler,
        poll_secs: float = 0.5,
    ) -> None:
        self.kitchen = kitchen
        self.queue = queue
        self.read_model = read_model
        self.bus = bus
        self.scheduler = scheduler
        # The queue and the read model are the projector's sinks; the bus and the reactions
        # ride on its follower, each from its own position.
        self.projector = Projector(
            kitchen, queue=queue, read_model=read_model, poll_secs=poll_secs, announcer=kitchen
        )
        self.follower = self.projector.follower
        self._published: Cursor | None = None
        if bus is not None:
            self._published = self.follower.add_cursor_sink(
                "bus", lambda batch: bus.publish(envelopes(batch))
            )
        self._reacted = self.follower.add_cursor_sink("reactions", self._react)

    def _react(self, batch: Sequence[Recorded]) -> None:
        ttl = self.kitchen.policy.assignment_ttl_secs
        for recorded in batch:
            react(recorded.event, self.scheduler, ttl)

    def drain(self) -> int:
        """Process everything recorded so far, synchronously; returns the events read."""
        return self.follower.drain()

    def skip_to_head(self) -> int:
        """Let reactions and the bus start at the head: what is already recorded has been
        reacted to and published (timers are re-armed from state instead)."""
        head = self.kitchen.head_position()
        self._reacted.value = head
        if self._published is not None:
            self._published.value = head
        return head

    def recover(self) -> int:
        """Bring the projections up to date without replaying reactions or publishing old
        events, then re-arm timers from state. Returns the number of timers armed."""
        self.skip_to_head()
        self.drain()
        releases = self.kitchen.pending_releases() if self.read_model is not None else []
        armed = rearm(
            self._open_tasks(), self.scheduler, self.kitchen.policy.assignment_ttl_secs, releases
        )
        self.scheduler.request_allocation()
        return armed

    def rebuild_projections(self) -> int:
        """Drop the ready queue and the read model and replay the whole log into them (no
        reactions, nothing published again); returns the events replayed."""
        with self.follower.exclusive():
            self.skip_to_head()
            return self.projector.rebuild()

    def _open_tasks(self) -> list[TaskView]:
        if self.read_model is None:
            return []
        return [
            self.kitchen.get_task(row.task_id)
            for status in ("ASSIGNED", "STARTED")
            for row in self.read_model.list_tasks(status, None, None, 1_000_000)
        ]

    def start(self) -> None:
        armed = self.recover()
        log.info("embedded runtime started: %d timer(s) re-armed", armed)
        self.follower.start()

    def stop(self) -> None:
        self.follower.stop()
        self.scheduler.close()
