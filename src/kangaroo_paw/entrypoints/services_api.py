"""The API process of the services mode: the services wiring plus a live event feed (the
PostgreSQL log, woken by LISTEN/NOTIFY, published to an in-process bus for the SSE stream)
and readiness probes for PostgreSQL, Redis, Kafka, Temporal and the relay and projector lag."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.adapters.postgres.listen import DEFAULT_CHANNEL, PostgresNotificationListener
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.feed import EventFeed
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.entrypoints.services import Services, build_services
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


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


@dataclass
class ServicesRuntime:
    """What ``kangaroo-paw serve`` runs in services mode (the shape of ``EmbeddedKitchen``:
    ``kitchen``, ``bus``, ``start()``, ``close()``, plus ``readiness_checks``)."""

    settings: Settings
    services: Services
    bus: InProcessEventBus
    feed: EventFeed
    listener: PostgresNotificationListener
    unavailable: tuple[type[Exception], ...] = ()
    readiness_checks: dict[str, Callable[[], Mapping[str, Any]]] = field(default_factory=dict)

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
        for close in (self.feed.stop, self.listener.stop, self.bus.close, self.services.close):
            try:
                close()
            except Exception:  # close the rest even if one part is already broken
                log.warning("closing %r failed", close, exc_info=True)


def build_services_runtime(settings: Settings) -> ServicesRuntime:
    """Wire (not start) the services-mode API process."""
    services = build_services(settings)
    kitchen = services.kitchen
    channel = getattr(kitchen.recorder, "channel_name", DEFAULT_CHANNEL)
    listener = PostgresNotificationListener(lambda: connect(settings, "api-listen"), channel)
    bus = InProcessEventBus()
    feed = EventFeed(
        kitchen, bus, poll_secs=settings.relay_poll_secs, wait_for_events=listener.wait
    )

    def redis_check() -> Mapping[str, Any]:
        return {"queued": services.queue.size(), "position": services.queue.position()}

    def relay_check() -> Mapping[str, Any]:
        """The outbox relay's progress (a lag is reported, not treated as "down")."""
        from kangaroo_paw.entrypoints.relay import relay_name

        with connect(settings, "api-ready") as conn:
            row = conn.execute(
                "SELECT position, attempts, last_error FROM relay_tracking WHERE name = %s",
                (relay_name(settings),),
            ).fetchone()
        position, attempts, last_error = row or (0, 0, None)
        head = kitchen.head_position()
        return {
            "position": position,
            "lag": max(0, head - position),
            "attempts": attempts,
            "last_error": last_error,
        }

    kafka_metadata: list[Any] = []  # one metadata-only client, made on first use

    def kafka_check() -> Mapping[str, Any]:
        """The broker answers a metadata request and the event topic exists."""
        from kafka import KafkaConsumer

        if not kafka_metadata:
            kafka_metadata.append(
                KafkaConsumer(
                    bootstrap_servers=settings.kafka_bootstrap.split(","),
                    client_id="kangaroo-paw-api-ready",
                    request_timeout_ms=5000,
                )
            )
        partitions = kafka_metadata[0].partitions_for_topic(settings.kafka_topic)
        if not partitions:
            raise LookupError(f"topic {settings.kafka_topic} has no partitions")
        return {"topic": settings.kafka_topic, "partitions": len(partitions)}

    def temporal_check() -> Mapping[str, Any]:
        """The Temporal frontend accepts connections (the worker does the rest)."""
        host, _, port = settings.temporal_address.rpartition(":")
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=2):
            pass
        return {"address": settings.temporal_address, "namespace": settings.temporal_namespace}

    def projections_check() -> Mapping[str, Any]:
        head = kitchen.head_position()
        queue, rows = services.queue.position(), services.read_model.position()
        return {"head": head, "queue_lag": max(0, head - queue), "sql_lag": max(0, head - rows)}

    return ServicesRuntime(
        settings,
        services,
        bus,
        feed,
        listener,
        unavailable=unavailable_errors(),
        readiness_checks={
            "redis": redis_check,
            "projections": projections_check,
            "relay": relay_check,
            "kafka": kafka_check,
            "temporal": temporal_check,
        },
    )
