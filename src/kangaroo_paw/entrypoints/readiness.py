"""Readiness probes that ``serve`` reports beside the event store's: the projections' lag in
embedded mode; PostgreSQL, Redis, Kafka, Temporal and the relay and projector lag in services
mode (a lag is reported, not treated as "down")."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Any

from kangaroo_paw.composition import EmbeddedKitchen, ServicesRuntime

Check = Callable[[], Mapping[str, Any]]


def readiness_checks(runtime: EmbeddedKitchen | ServicesRuntime) -> dict[str, Check]:
    if isinstance(runtime, EmbeddedKitchen):
        return _embedded_checks(runtime)
    return _services_checks(runtime)


def _embedded_checks(embedded: EmbeddedKitchen) -> dict[str, Check]:
    def projections() -> Mapping[str, Any]:
        head = embedded.kitchen.head_position()
        return {"head": head, "lag": max(0, head - embedded.queue.position())}

    return {"projections": projections}


def _services_checks(runtime: ServicesRuntime) -> dict[str, Check]:
    from kangaroo_paw.adapters.postgres.connection import connect

    settings, services, kitchen = runtime.settings, runtime.services, runtime.kitchen

    def redis_check() -> Mapping[str, Any]:
        return {"queued": services.queue.size(), "position": services.queue.position()}

    def relay_check() -> Mapping[str, Any]:
        """The outbox relay's progress."""
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

    return {
        "redis": redis_check,
        "projections": projections_check,
        "relay": relay_check,
        "kafka": kafka_check,
        "temporal": temporal_check,
    }
