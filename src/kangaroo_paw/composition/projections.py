"""Rebuilding the services mode's projections: replay the event store into a cleared Redis
queue and SQL read model, holding the projector turn so that running projectors pause."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from kangaroo_paw.application.projector import Progress, Projector, RebuildInterrupted
from kangaroo_paw.composition.services import Services, build_services
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

SINKS = ("redis", "sql")
REBUILD_BATCH = 2000
REBUILD_ATTEMPTS = 3


def make_projector(services: Services, only: str | None = None) -> Projector:
    settings = services.settings
    return Projector(
        services.kitchen,
        queue=services.queue if only in (None, "redis") else None,
        read_model=services.read_model if only in (None, "sql") else None,
        batch_size=settings.relay_batch_size,
        poll_secs=settings.relay_poll_secs,
    )


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did: which sinks, how many events, how fast, where they stand."""

    sinks: tuple[str, ...]
    events: int
    seconds: float
    positions: dict[str, int]
    queue_size: int | None

    @property
    def events_per_sec(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def replay_projections(
    settings: Settings,
    only: str | None = None,
    progress: Progress | None = None,
    services: Services | None = None,
) -> RebuildReport:
    """Clear the chosen projections and replay the event store into them, holding the
    projector turn so that running projectors pause meanwhile."""
    own = services is None
    services = services or build_services(settings, with_queue=only != "sql")
    from kangaroo_paw.adapters.postgres.turns import ProjectionTurn

    turn = ProjectionTurn(settings, "rebuild")
    try:
        projector = make_projector(services, only)
        # Bigger batches touch each aggregate fewer times per event replayed.
        projector.follower.batch_size = max(settings.relay_batch_size, REBUILD_BATCH)
        with turn.exclusive():
            started = time.perf_counter()
            for attempt in range(1, REBUILD_ATTEMPTS + 1):
                try:
                    events = projector.rebuild(progress)
                    break
                except RebuildInterrupted:
                    if attempt == REBUILD_ATTEMPTS:
                        raise
                    log.warning("rebuild interrupted by a concurrent writer; starting over")
            seconds = time.perf_counter() - started
        return RebuildReport(
            sinks=tuple(s for s in SINKS if only in (None, s)),
            events=events,
            seconds=seconds,
            positions={s.name: s.position for s in projector.status(head=0)},
            queue_size=projector.queue.size() if projector.queue is not None else None,
        )
    finally:
        turn.close()
        if own:
            services.close()
