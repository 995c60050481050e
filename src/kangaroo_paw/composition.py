"""The one wiring point: every process, every test and the simulator get their kitchen here,
from one ``Settings``.

- ``open_kitchen(settings)`` is the front door (re-exported by ``kangaroo_paw``): the embedded
  runtime or, with ``KP_MODE=services``, the services-mode API runtime, as a context manager.
- ``build_embedded`` wires the embedded runtime on the store ``settings.store`` names
  (SQLite file, in memory, or PostgreSQL), without starting it.
- ``build_services`` wires the kitchen on PostgreSQL and Redis for the services processes
  (api, relay, projector, worker, CLI commands); ``build_services_runtime`` adds the live
  event feed the API serves.

Service clients (psycopg, redis) are imported only when the services mode is wired, so the
base install runs the embedded mode without them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Self

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.memory.scheduler import InProcessScheduler
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.feed import EventFeed
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.application.projector import Progress, Projector, RebuildInterrupted
from kangaroo_paw.application.runtime import EmbeddedRuntime
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.domain.scoring import Weights
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel
from kangaroo_paw.settings import Settings, Store

if TYPE_CHECKING:
    from kangaroo_paw.adapters.postgres.listen import PostgresNotificationListener
    from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> Policy:
    """The scheduling policy the settings describe."""
    return Policy(
        assignment_ttl_secs=settings.assignment_ttl_secs,
        aging_factor=settings.aging_factor,
        requeue_boost=settings.requeue_boost,
        rush_boost=settings.rush_boost,
        rush_credit_secs=settings.rush_credit_secs,
        promise_reaction_secs=settings.promise_reaction_secs,
        promise_on_confirm=settings.promise_on_confirm,
        promise_margin=settings.promise_margin,
        promise_break_secs=settings.promise_break_secs,
        promise_repair_secs=settings.promise_repair_secs,
        weights=Weights(settings.weight_load, settings.weight_util, settings.weight_eff),
        efficiency_min=settings.efficiency_min,
        efficiency_max=settings.efficiency_max,
        max_qty_per_line=settings.max_qty_per_line,
        max_lines_per_order=settings.max_lines_per_order,
    )


def store_env(settings: Settings, store: Store | None = None) -> dict[str, str]:
    """The eventsourcing environment of the event store: ``store`` if given, PostgreSQL in
    services mode, otherwise the store ``settings.store`` names."""
    store = store or ("postgres" if settings.mode == "services" else settings.store)
    if store == "postgres":
        from kangaroo_paw.adapters.postgres.connection import eventsourcing_env

        return eventsourcing_env(settings)
    if store == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def build_kitchen(
    settings: Settings,
    *,
    queue: ReadyQueue,
    read_model: ReadModel,
    clock: Clock | None = None,
    policy: Policy | None = None,
    store: Store | None = None,
) -> Kitchen:
    """The Kitchen application on ``store`` (default: the settings'); the only place one is
    constructed."""
    return Kitchen(
        policy=policy or policy_from(settings),
        clock=clock or SystemClock(),
        queue=queue,
        read_model=read_model,
        env=store_env(settings, store),
        snapshot_every=settings.snapshot_every,
    )


class _Runtime:
    """What both runtimes share: a context manager that starts and closes them."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- the embedded mode ---------------------------------------------------------------------------


@dataclass(eq=False)
class EmbeddedKitchen(_Runtime):
    """The embedded mode, wired: the kitchen, its in-memory projections and event bus, the
    in-process timers and the follower that keeps them current."""

    settings: Settings
    kitchen: Kitchen
    queue: InMemoryReadyQueue
    read_model: InMemoryReadModel
    bus: InProcessEventBus
    scheduler: InProcessScheduler
    runtime: EmbeddedRuntime

    def start(self) -> None:
        self.runtime.start()
        self.scheduler.start()

    def close(self) -> None:
        self.runtime.stop()
        self.kitchen.close()

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
    seeded into an empty store unless ``seed`` (default ``settings.seed_demo``) is False."""
    clock = clock or SystemClock()
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
    return EmbeddedKitchen(settings, kitchen, queue, read_model, bus, scheduler, runtime)


# -- the services mode ---------------------------------------------------------------------------


@dataclass(eq=False)
class Services:
    """What a services-mode process works with; ``close()`` releases every connection."""

    settings: Settings
    kitchen: Kitchen
    queue: ReadyQueue
    read_model: PostgresReadModel
    _closers: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        _close_all("services", [self.kitchen.close, self.read_model.close, *self._closers])


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
class ServicesRuntime(_Runtime):
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
        _close_all(
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


# -- projections (services mode) -----------------------------------------------------------------

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


# -- the front door ------------------------------------------------------------------------------


def open_kitchen(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    seed: bool | None = None,
) -> EmbeddedKitchen | ServicesRuntime:
    """Open the kitchen the settings describe (``Settings.from_env()`` by default), ready to
    be started: use it as a context manager, which starts it and closes it at the end::

        with open_kitchen() as runtime:
            order = runtime.kitchen.confirm_order({"burger_combo": 1})
            runtime.kitchen.allocate()
    """
    settings = settings or Settings.from_env()
    if settings.mode == "services":
        return build_services_runtime(settings)
    return build_embedded(settings, clock=clock, seed=seed)


def _close_all(what: str, closers: list[Callable[[], object]]) -> None:
    for close in closers:
        try:
            close()
        except Exception:  # close everything even if one part is already broken
            log.warning("closing %s: %r failed", what, close, exc_info=True)
