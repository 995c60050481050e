"""EmbeddedRuntime: the in-process follower that plays relay, projector and consumer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.projection import Follower, Projections
from kangaroo_paw.application.reactions import react, rearm
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel
from kangaroo_paw.ports.scheduler import Scheduler

log = logging.getLogger(__name__)


class _Cursor:
    """Position of a sink that keeps no position of its own (reactions, the bus)."""

    def __init__(self, position: int = 0) -> None:
        self.value = position

    def get(self) -> int:
        return self.value


class EmbeddedRuntime:
    """Follows the SQLite notification log (poll + wake-up on local saves) and keeps the
    ready queue, the read model, the event bus and the reactions up to date."""

    def __init__(
        self,
        kitchen: Kitchen,
        queue: ReadyQueue,
        read_model: ReadModel,
        bus: EventPublisher,
        scheduler: Scheduler,
        poll_secs: float = 0.5,
    ) -> None:
        self.kitchen = kitchen
        self.queue = queue
        self.read_model = read_model
        self.bus = bus
        self.scheduler = scheduler
        self.poll_secs = poll_secs
        self.projections = Projections(kitchen)
        self.follower = Follower(kitchen)
        self._reactions = _Cursor()
        self._published = _Cursor()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.follower.add_sink("queue", queue.position, self._apply_queue)
        self.follower.add_sink("read_model", read_model.position, self._apply_rows)
        self.follower.add_sink("bus", self._published.get, self._publish)
        self.follower.add_sink("reactions", self._reactions.get, self._react)
        kitchen.on_saved(self._wake.set)

    def _apply_queue(self, envelopes: Sequence[Envelope]) -> None:
        self.queue.apply(self.projections.queue_ops(envelopes), envelopes[-1].notification_id)

    def _apply_rows(self, envelopes: Sequence[Envelope]) -> None:
        orders, tasks = self.projections.rows(envelopes)
        self.read_model.save(orders, tasks, envelopes[-1].notification_id)

    def _publish(self, envelopes: Sequence[Envelope]) -> None:
        self.bus.publish(envelopes)
        self._published.value = envelopes[-1].notification_id

    def _react(self, envelopes: Sequence[Envelope]) -> None:
        ttl = self.kitchen.policy.assignment_ttl_secs
        for envelope in envelopes:
            react(envelope, self.scheduler, ttl)
        self._reactions.value = envelopes[-1].notification_id

    def recover(self) -> int:
        """Rebuild projections from the log without replaying reactions or publishing old
        events, then re-arm timers from state. Returns the number of timers armed."""
        head = self.kitchen.head_position()
        self._reactions.value = head
        self._published.value = head
        self.drain()
        open_tasks = [
            self.kitchen.get_task(row.task_id)
            for status in ("ASSIGNED", "STARTED")
            for row in self.read_model.list_tasks(status, None, None, 1_000_000)
        ]
        armed = rearm(open_tasks, self.scheduler, self.kitchen.policy.assignment_ttl_secs)
        self.scheduler.request_allocation()
        return armed

    def drain(self) -> int:
        """Process everything recorded so far, synchronously."""
        with self._lock:
            return self.follower.catch_up()

    def start(self) -> None:
        armed = self.recover()
        log.info("embedded runtime started: %d timer(s) re-armed", armed)
        self._thread = threading.Thread(target=self._run, name="kp-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.poll_secs)
            self._wake.clear()
            try:
                self.drain()
            except Exception:
                log.exception("follower pass failed; retrying")
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.scheduler.close()
