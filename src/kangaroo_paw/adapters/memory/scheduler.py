"""InProcessScheduler: coalesced allocation requests and timers on one background thread."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.scheduler import Scheduler, TimerHandlers, release_timer_id, timer_id

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class InProcessScheduler(Scheduler):
    """The embedded twin of the Temporal scheduler. Timers are not durable here: after a
    restart the runtime re-arms them from state (``reactions.rearm``) at their original due
    times, which gives the same outcome."""

    def __init__(
        self,
        handlers: TimerHandlers,
        clock: Clock,
        max_wait_secs: float = 1.0,
        sweep_secs: float | None = 30.0,
    ) -> None:
        self._handlers = handlers
        self._clock = clock
        self._max_wait = max_wait_secs
        # A pass every ``sweep_secs`` of clock time even when no event asks for one: a cook's
        # shift starting is no event, and a failed pass must not leave ready tasks stuck.
        self._sweep = None if sweep_secs is None else timedelta(seconds=sweep_secs)
        self._next_sweep = None if self._sweep is None else clock.now() + self._sweep
        self._timers: list[tuple[datetime, int, str, Callable[[], bool], int]] = []
        self._pending: set[str] = set()
        self._allocation_requested = False
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.fired: list[str] = []  # ids of timers that ran their callback (diagnostics)

    # -- port ---------------------------------------------------------------------------------

    def request_allocation(self) -> None:
        with self._cond:
            self._allocation_requested = True
            self._cond.notify()

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self._schedule(
            timer_id("complete", task_id, start_no),
            due_at,
            lambda: self._handlers.auto_complete(task_id, start_no),
        )

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self._schedule(
            timer_id("timeout", task_id, assignment_no),
            deadline,
            lambda: self._handlers.requeue_stale(task_id, assignment_no),
        )

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        self._schedule(
            release_timer_id(order_id, release_at),
            release_at,
            lambda: self._handlers.release_due(order_id, release_at),
        )

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- engine -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kp-scheduler", daemon=True)
        self._thread.start()

    def pending_timers(self) -> list[str]:
        with self._cond:
            return sorted(self._pending)

    def _schedule(self, tid: str, due: datetime, callback: Callable[[], bool]) -> None:
        with self._cond:
            if tid in self._pending:
                return
            self._pending.add(tid)
            heapq.heappush(self._timers, (due, next(self._seq), tid, callback, 1))
            self._cond.notify()

    def run_due(self) -> int:
        """Run the allocation request and every timer that is due now; returns how many ran.
        The background thread calls this; tests with a manual clock call it directly."""
        ran = 0
        with self._cond:
            allocate = self._allocation_requested
            self._allocation_requested = False
            now = self._clock.now()
            if self._next_sweep is not None and self._sweep is not None and now >= self._next_sweep:
                allocate = True
                self._next_sweep = now + self._sweep
        if allocate:
            self._guard("allocation", self._handlers.allocate_now)
            ran += 1
        while True:
            with self._cond:
                if not self._timers or self._timers[0][0] > self._clock.now():
                    break
                _due, _, tid, callback, attempt = heapq.heappop(self._timers)
            ok = self._guard(tid, callback)
            with self._cond:
                if ok or attempt >= MAX_ATTEMPTS:
                    self._pending.discard(tid)
                    self.fired.append(tid)
                else:
                    retry_at = self._clock.now() + timedelta(seconds=attempt)
                    heapq.heappush(
                        self._timers, (retry_at, next(self._seq), tid, callback, attempt + 1)
                    )
            ran += 1
        return ran

    def _guard(self, name: str, callback: Callable[[], object]) -> bool:
        try:
            callback()
        except Exception:
            log.exception("scheduled work %s failed", name)
            return False
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                wait = self._max_wait
                if self._allocation_requested:
                    wait = 0.0
                elif self._timers:
                    until = (self._timers[0][0] - self._clock.now()).total_seconds()
                    wait = max(0.0, min(wait, until))
                if wait > 0:
                    self._cond.wait(timeout=wait)
                if self._stopping:
                    return
            self.run_due()
