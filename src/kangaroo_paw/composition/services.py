"""The services mode, wired: the kitchen on PostgreSQL (tables from the packaged migrations)
and the Redis ready queue for every services process (api, relay, projector, worker, CLI
commands), and the API process's runtime with its live event feed. Service clients are
imported here only when this mode is wired, so the base install runs the embedded mode without
them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.feed import EventFeed
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition.kitchen import Runtime, build_kitchen, close_all
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.settings import Settings

if TYPE_CHECKING:
    from kangaroo_paw.adapters.postgres.listen import PostgresNotificationListener
    from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Services:
    """What a services-mode process works with; ``close()`` releases every connection."""

    settings: Settings
    kitchen: Kitchen
    queue: ReadyQueue
    read_model: PostgresReadModel
    _closers: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        close_all("services", [self.kitchen.close, self.read_model.close, *self._closers])


def explain_startup_error(exc: BaseException) -> str | None:
    """A one-line reason for an error a services process cannot start past (the schema is
    not migrated, the database is unreachable); None for anything else."""
    from kangaroo_paw.adapters.postgres.migrate import NotMigrated

    if isinstance(exc, NotMigrated):
        return str(exc)
    if type(exc).__name__ == "OperationalError":  # psycopg's or eventsourcing's
        return f"PostgreSQL is not reachable: {str(exc).splitlines()[0]}"
    return None


def redis_queue(settings: Settings) -> ReadyQueue:
    """The Redis ready queue."""
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
    process never reads stands in); ``queue`` overrides the ready queue (tests). The schema
    must have been migrated (``kangaroo-paw db migrate``): ``NotMigrated`` names what is
    missing."""
    from kangaroo_paw.adapters.postgres.migrate import require_migrated
    from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel

    if check_schema:
        require_migrated(settings)
    closers: list[Callable[[], object]] = []
    if queue is None:
        queue = redis_queue(settings) if with_queue else InMemoryReadyQueue()
        close_queue = getattr(queue, "close", None)
        if callable(close_queue):
            closers.append(close_queue)
    read_model = PostgresReadModel.from_settings(settings)
    try:
        kitchen = build_kitchen(
            settings, queue=queue, read_model=read_model, clock=clock, store="postgres"
        )
    except BaseException:
        read_model.close()
        raise
    return Services(settings, kitchen, queue, read_model, closers)


def unavailable_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean "a backing service is down" (the API answers 503)."""
    import psycopg
    import psycopg_pool
    import redis
    from eventsourcing.persistence import InterfaceError, OperationalError

    return (
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
        psycopg_pool.PoolTimeout,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )


@dataclass(eq=False)
class ServicesRuntime(Runtime):
    """What ``kangaroo-paw serve`` runs in services mode: the services wiring plus a live
    event feed (the PostgreSQL log, woken by LISTEN/NOTIFY, published to an in-process bus
    for the SSE stream). The projector, relay, consumer and worker run as processes."""

    settings: Settings
    services: Services
    bus: InProcessEventBus
    feed: EventFeed
    listener: PostgresNotificationListener
    unavailable: tuple[type[Exception], ...] = ()

    @property
    def kitchen(self) -> Kitchen:
        return self.services.kitchen

    def start(self) -> None:
        if self.settings.seed_demo:
            try:
                if seed_demo_kitchen(self.kitchen):
                    log.info("seeded the demo kitchen into an empty store")
            except KitchenError as exc:  # another API process seeded at the same moment
                log.info("demo kitchen not seeded here: %s", exc)
        self.listener.start()
        self.feed.start()

    def close(self) -> None:
        close_all(
            "services runtime",
            [self.feed.stop, self.listener.stop, self.bus.close, self.services.close],
        )

    def drain(self) -> int:
        """Publish the events recorded so far to the bus (the projector process keeps the
        queue and the read model)."""
        return self.feed.drain()

    def rebuild_projections(self) -> int:
        """Replay the whole log into an emptied ready queue and read model, holding the
        projector turn (running projectors pause); returns the events replayed."""
        from kangaroo_paw.composition.projections import replay_projections

        return replay_projections(self.settings, services=self.services).events


def build_services_runtime(settings: Settings) -> ServicesRuntime:
    """Wire (not start) the services-mode API process."""
    from kangaroo_paw.adapters.postgres.connection import connect
    from kangaroo_paw.adapters.postgres.listen import (
        DEFAULT_CHANNEL,
        PostgresNotificationListener,
    )

    services = build_services(settings)
    kitchen = services.kitchen
    channel = getattr(kitchen.recorder, "channel_name", DEFAULT_CHANNEL)
    listener = PostgresNotificationListener(lambda: connect(settings, "api-listen"), channel)
    bus = InProcessEventBus()
    feed = EventFeed(
        kitchen, bus, poll_secs=settings.relay_poll_secs, wait_for_events=listener.wait
    )
    return ServicesRuntime(settings, services, bus, feed, listener, unavailable_errors())
