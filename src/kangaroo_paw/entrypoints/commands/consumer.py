"""``kangaroo-paw consumer``: the Kafka event topic → Temporal workflow calls."""

from __future__ import annotations

from typing import Any

from kangaroo_paw.entrypoints.processes import ServiceProcess, add_service_command
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    add_service_command(
        subparsers,
        "consumer",
        _process,
        help="topic consumer: react to the Kafka event topic with Temporal workflows",
        description=(
            "Reads KP_KAFKA_TOPIC in group KP_KAFKA_CONSUMER_GROUP (a new group starts at the "
            "earliest offset), deduplicates by event_id and signals or starts the workflows of "
            "kitchen KP_KITCHEN on KP_TEMPORAL_TASK_QUEUE. Offsets are committed after "
            "handling; a poison record is parked on KP_KAFKA_DLQ_TOPIC. Run several: the "
            "group shares the partitions. SIGTERM finishes and commits the batch in hand."
        ),
    )


def _process(settings: Settings) -> ServiceProcess:
    from kangaroo_paw.entrypoints.consumer import ConsumerProcess

    return ConsumerProcess(settings)
