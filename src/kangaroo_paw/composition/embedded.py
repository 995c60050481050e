"""The embedded mode, wired: one process, the event store in SQLite (or memory, or
PostgreSQL), the projections and timers in-process. On SQLite the runtime holds the data dir's
lock from wiring to close: one writer per data dir."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.data_dir_lock import DataDirLock
from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.memory.scheduler import InProcessScheduler
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.runtime import EmbeddedRuntime
from kangaroo_paw.composition.kitchen import Runtime, build_kitchen
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


@dataclass(eq=False)
class EmbeddedKitchen(Runtime):
    """The embedded mode, wired: the kitchen, its in-memory projections and event bus, the
    in-process timers and the follower that keeps them current."""

    settings: Settings
    kitchen: Kitchen
    queue: InMemoryReadyQueue
    read_model: InMemoryReadModel
    bus: InProcessEventBus
    scheduler: InProcessScheduler
    runtime: EmbeddedRuntime
    lock: DataDirLock | None = None  # held on SQLite only

    def start(self) -> None:
        self.runtime.start()
        self.scheduler.start()

    def close(self) -> None:
        try:
            self.runtime.stop()
            self.kitchen.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def drain(self) -> int:
        """Bring the projections, the bus and the timers up to every event recorded so far
        (queries and allocation passes do this themselves); returns the events read."""
        return self.runtime.drain()

    def rebuild_projections(self) -> int:
        """Replay the whole log into an emptied ready queue and read model; returns the
        events replayed."""
        return self.runtime.rebuild_projections()


def build_embedded(
    settings: Settings,
    *,
    clock: Clock | None = None,
    seed: bool | None = None,
) -> EmbeddedKitchen:
    """Wire (not start) the embedded kitchen on ``settings.store``; the demo kitchen is
    seeded into an empty store unless ``seed`` (default ``settings.seed_demo``) is False.

    On SQLite the data dir is locked first (before the store is opened or seeded) and stays
    locked until ``close()``; ``DataDirLocked`` if another kitchen holds it."""
    on_sqlite = settings.mode == "embedded" and settings.store == "sqlite"
    lock = DataDirLock.acquire(settings.data_dir) if on_sqlite else None
    try:
        return _wire(settings, clock or SystemClock(), seed, lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _wire(
    settings: Settings, clock: Clock, seed: bool | None, lock: DataDirLock | None
) -> EmbeddedKitchen:
    queue = InMemoryReadyQueue()
    read_model = InMemoryReadModel()
    kitchen = build_kitchen(settings, queue=queue, read_model=read_model, clock=clock)
    should_seed = settings.seed_demo if seed is None else seed
    if should_seed and seed_demo_kitchen(kitchen):
        log.info("seeded the demo kitchen into an empty store")
    bus = InProcessEventBus()
    scheduler = InProcessScheduler(kitchen, clock)
    runtime = EmbeddedRuntime(
        kitchen, queue, read_model, bus, scheduler, poll_secs=settings.follower_poll_secs
    )
    kitchen.read_own_writes(runtime.drain)
    return EmbeddedKitchen(settings, kitchen, queue, read_model, bus, scheduler, runtime, lock)
