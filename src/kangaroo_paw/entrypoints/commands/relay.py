"""``kangaroo-paw relay``: publish the event store to Kafka (one active, others standby)."""

from __future__ import annotations

from typing import Any

from kangaroo_paw.entrypoints.processes import ServiceProcess, add_service_command
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    add_service_command(
        subparsers,
        "relay",
        _process,
        help="outbox relay: follow the PostgreSQL event log and publish it to Kafka",
        description=(
            "Publishes every stored event to KP_KAFKA_TOPIC (key = order id) and records the "
            "position in PostgreSQL after the broker acknowledged. Run several: one is active "
            "(advisory lock), the others wait as hot standbys. SIGTERM stops after the batch."
        ),
    )


def _process(settings: Settings) -> ServiceProcess:
    from kangaroo_paw.entrypoints.relay import RelayProcess

    return RelayProcess(settings)
