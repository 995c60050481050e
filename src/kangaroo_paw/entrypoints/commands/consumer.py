"""``kangaroo-paw consumer``: the Kafka event topic → Temporal workflow calls."""

from __future__ import annotations

import argparse
from typing import Any

from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "consumer",
        help="topic consumer: react to the Kafka event topic with Temporal workflows",
        description=(
            "Reads KP_KAFKA_TOPIC in group KP_KAFKA_CONSUMER_GROUP (a new group starts at the "
            "earliest offset), deduplicates by event_id and signals or starts the workflows of "
            "kitchen KP_KITCHEN on KP_TEMPORAL_TASK_QUEUE. Offsets are committed after "
            "handling; a poison record is parked on KP_KAFKA_DLQ_TOPIC. Run several: the "
            "group shares the partitions. SIGTERM finishes and commits the batch in hand."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.entrypoints.consumer import ConsumerProcess
    from kangaroo_paw.entrypoints.processes import run_until_signalled

    return run_until_signalled("consumer", ConsumerProcess(settings))
