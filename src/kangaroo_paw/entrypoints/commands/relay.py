"""``kangaroo-paw relay``: publish the event store to Kafka (one active, others standby)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "relay",
        help="outbox relay: follow the PostgreSQL event log and publish it to Kafka",
        description=(
            "Publishes every stored event to KP_KAFKA_TOPIC (key = order id) and records the "
            "position in PostgreSQL after the broker acknowledged. Run several: one is active "
            "(advisory lock), the others wait as hot standbys. SIGTERM stops after the batch."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.composition import explain_startup_error

    try:
        return _run(args, settings)
    except Exception as exc:
        reason = explain_startup_error(exc)
        if reason is None:
            raise
        print(f"kangaroo-paw {args.command}: {reason}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.entrypoints.processes import run_until_signalled
    from kangaroo_paw.entrypoints.relay import RelayProcess

    return run_until_signalled("relay", RelayProcess(settings))
