"""Composition root of the services mode: the Kitchen on PostgreSQL (eventsourcing postgres,
tables from ``db/``), the Redis ready queue and the PostgreSQL read model.

Every services-mode process (api, relay, projector, worker, CLI commands) builds its wiring
here, once, from one ``Settings``::

    services = build_services(settings)            # kitchen + Redis queue + read model
    services = build_services(settings, with_queue=False)   # no Redis (relay, status)
    try:
        services.kitchen.confirm_order(...)
    finally:
        services.close()

The schema must have been migrated (``kangaroo-paw db migrate``); ``build_services`` checks
that first and raises ``NotMigrated`` naming what is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.postgres.connection import eventsourcing_env
from kangaroo_paw.adapters.postgres.migrate import NotMigrated, require_migrated
from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.entrypoints.bootstrap import policy_from
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What a services-mode process works with; ``close()`` releases every connection."""

    settings: Settings
    kitchen: Kitchen
    queue: ReadyQueue
    read_model: PostgresReadModel
    _closers: list[Any] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for closer in (self.kitchen.close, self.read_model.close, *self._closers):
            try:
                closer()
            except Exception:  # close everything even if one part is already broken
                log.warning("closing %r failed", closer, exc_info=True)


def explain_startup_error(exc: BaseException) -> str | None:
    """A one-line reason for an error a services process cannot start past (the schema is
    not migrated, the database is unreachable); None for anything else."""
    if isinstance(exc, NotMigrated):
        return str(exc)
    if type(exc).__name__ == "OperationalError":  # psycopg's or eventsourcing's
        return f"PostgreSQL is not reachable: {str(exc).splitlines()[0]}"
    return None


def redis_queue(settings: Settings) -> ReadyQueue:
    """The Redis ready queue (imported lazily: redis is a services-mode dependency)."""
    from kangaroo_paw.adapters.redis.queue import RedisReadyQueue

    return RedisReadyQueue.from_url(settings.redis_url, prefix=settings.redis_prefix)


def build_services(
    settings: Settings,
    *,
    with_queue: bool = True,
    queue: ReadyQueue | None = None,
    clock: Clock | None = None,
    check_schema: bool = True,
) -> Services:
    """Wire the services mode. ``with_queue=False`` leaves Redis out (an in-memory queue the
    process never reads stands in); ``queue`` overrides the ready queue (tests)."""
    if check_schema:
        require_migrated(settings)
    closers: list[Any] = []
    if queue is None:
        queue = redis_queue(settings) if with_queue else InMemoryReadyQueue()
        close_queue = getattr(queue, "close", None)
        if callable(close_queue):
            closers.append(close_queue)
    read_model = PostgresReadModel.from_settings(settings)
    try:
        kitchen = Kitchen(
            policy=policy_from(settings),
            clock=clock or SystemClock(),
            queue=queue,
            read_model=read_model,
            env=eventsourcing_env(settings),
            snapshot_every=settings.snapshot_every,
        )
    except BaseException:
        read_model.close()
        raise
    return Services(settings, kitchen, queue, read_model, closers)
