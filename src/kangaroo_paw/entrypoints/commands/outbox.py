"""``kangaroo-paw outbox status``: how far the relay has published, and how it fails."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kangaroo_paw.entrypoints.processes import explained
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "outbox", help="the transactional outbox (event log → Kafka relay)"
    )
    actions = parser.add_subparsers(dest="outbox_action", metavar="ACTION", required=True)
    status = actions.add_parser(
        "status", help="relay position, head of the log, lag, attempts, last error"
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(handler=run)


@explained
def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.adapters.postgres.connection import connect
    from kangaroo_paw.adapters.postgres.leadership import lock_holder
    from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
    from kangaroo_paw.application.relay import relay_status
    from kangaroo_paw.composition import build_services
    from kangaroo_paw.entrypoints.relay import relay_lock_name, relay_name

    services = build_services(settings, with_queue=False)
    try:
        with connect(settings, "outbox-status") as conn:
            status = relay_status(
                services.kitchen, PostgresPositionStore(conn, relay_name(settings))
            )
            holder = lock_holder(conn, relay_lock_name(settings))
    finally:
        services.close()
    report: dict[str, Any] = {"topic": settings.kafka_topic, **status.to_dict()}
    report["active_relay"] = (
        None if holder is None else f"pid {holder['pid']} ({holder['application_name']})"
    )
    if args.json:
        print(json.dumps(report, default=str))
    else:
        width = max(len(k) for k in report)
        for key, value in report.items():
            print(f"{key:<{width}}  {'-' if value is None else value}")
    return 0
