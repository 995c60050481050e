"""The projector process: follows the PostgreSQL event log into the Redis ready queue and the
PostgreSQL read model, woken by LISTEN/NOTIFY with a polling fallback, and the rebuild that
replays the event store into freshly cleared projections."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kangaroo_paw.adapters.postgres.connection import connect, schema_of
from kangaroo_paw.adapters.postgres.leadership import lock_key
from kangaroo_paw.adapters.postgres.listen import DEFAULT_CHANNEL, PostgresNotificationListener
from kangaroo_paw.application.projector import Progress, Projector, RebuildInterrupted
from kangaroo_paw.entrypoints.services import Services, build_services
from kangaroo_paw.settings import Settings

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

log = logging.getLogger(__name__)

SINKS = ("redis", "sql")
REBUILD_WAIT_SECS = 60
REBUILD_BATCH = 2000
REBUILD_ATTEMPTS = 3


def projector_lock_name(settings: Settings) -> str:
    """One turn per set of sinks: the schema (read model) and the Redis prefix (queue)."""
    return f"kangaroo-paw projector {schema_of(settings)} {settings.redis_prefix}"


class ProjectionTurn:
    """Takes turns on a PostgreSQL advisory lock: a projector pass holds it only while it
    runs (``pg_try_advisory_lock``, skipped when busy), a rebuild holds it throughout
    (``pg_advisory_lock``, waiting for the pass in flight). A crashed holder's session ends
    and PostgreSQL releases the lock with it."""

    def __init__(self, settings: Settings, purpose: str) -> None:
        self.settings = settings
        self.purpose = purpose
        self.key = lock_key(projector_lock_name(settings))
        self._conn: psycopg.Connection[TupleRow] | None = None

    def _connection(self) -> psycopg.Connection[TupleRow]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = connect(self.settings, self.purpose)
        return self._conn

    @contextmanager
    def pass_turn(self) -> Iterator[bool]:
        """``True`` while this pass holds the lock; ``False`` when another holder has it."""
        conn = self._connection()
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except Exception:
            self.close()
            raise
        mine = bool(row and row[0])
        try:
            yield mine
        finally:
            if mine:
                self._unlock()

    @contextmanager
    def exclusive(self, wait_secs: float = REBUILD_WAIT_SECS) -> Iterator[None]:
        """Hold the lock for a whole rebuild (waits for a pass in flight to finish)."""
        from psycopg import sql

        conn = self._connection()
        timeout = sql.Literal(f"{int(wait_secs * 1000)}ms")
        conn.execute(sql.SQL("SET lock_timeout = {}").format(timeout))
        conn.execute("SELECT pg_advisory_lock(%s)", (self.key,))
        try:
            yield
        finally:
            self._unlock()

    def _unlock(self) -> None:
        try:
            self._connection().execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except Exception:  # a dead session has released the lock already
            log.debug("advisory unlock failed; the session is gone", exc_info=True)
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection must not mask anything
                log.debug("closing the projector lock connection failed", exc_info=True)


def make_projector(services: Services, only: str | None = None) -> Projector:
    settings = services.settings
    return Projector(
        services.kitchen,
        queue=services.queue if only in (None, "redis") else None,
        read_model=services.read_model if only in (None, "sql") else None,
        batch_size=settings.relay_batch_size,
        poll_secs=settings.relay_poll_secs,
    )


class ProjectorProcess:
    """Runs until ``stop()``. Any number may run: passes take turns on an advisory lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self._listener: PostgresNotificationListener | None = None

    def stop(self) -> None:
        self.stopping.set()
        if self._listener is not None:
            self._listener.wake()

    def run(self) -> None:
        settings = self.settings
        services = build_services(settings)
        channel = getattr(services.kitchen.recorder, "channel_name", DEFAULT_CHANNEL)
        self._listener = PostgresNotificationListener(
            lambda: connect(settings, "projector-listen"), channel
        ).start()
        turn = ProjectionTurn(settings, "projector")
        projector = make_projector(services)
        log.info(
            "projector started: schema %s, redis prefix %r, positions %s",
            schema_of(settings),
            settings.redis_prefix,
            {s.name: s.position for s in projector.status()},
        )
        try:
            projector.run(self.stopping, self._listener.wait, turn.pass_turn)
        finally:
            for close in (self._listener.stop, turn.close, services.close):
                try:
                    close()
                except Exception:  # release everything else even if one part is broken
                    log.warning("projector shutdown: %r failed", close, exc_info=True)
            log.info("projector stopped")


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


def rebuild(
    settings: Settings,
    only: str | None = None,
    progress: Progress | None = None,
    services: Services | None = None,
) -> RebuildReport:
    """Clear the chosen projections and replay the event store into them, holding the
    projector turn so that running projectors pause meanwhile."""
    own = services is None
    services = services or build_services(settings, with_queue=only != "sql")
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
