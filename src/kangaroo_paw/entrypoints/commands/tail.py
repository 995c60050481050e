"""``kangaroo-paw tail``: print domain events from the Kafka topic as they arrive."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from typing import Any
from uuid import UUID

from kangaroo_paw.domain import ids
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tail",
        help="print events from the Kafka topic (all partitions)",
        description="Print domain events from KP_KAFKA_TOPIC, one line each. Reads every "
        "partition without a consumer group, so it commits nothing.",
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--from-beginning", action="store_true", help="start at the oldest retained event"
    )
    start.add_argument(
        "--from-end", action="store_true", help="only events published from now on (default)"
    )
    parser.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="TYPE",
        help="only this event type, e.g. TASK_READY (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--order",
        metavar="ID",
        help="only events of this order (its id, or its external_order_id)",
    )
    parser.add_argument("--json", action="store_true", help="print each envelope as JSON")
    parser.add_argument("--max", type=int, metavar="N", help="stop after N matching events")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECS",
        help="stop after SECS without a new event on the topic",
    )
    parser.add_argument("--topic", help="topic to read (default: KP_KAFKA_TOPIC)")
    parser.set_defaults(handler=run)


def order_filter(raw: str | None) -> str | None:
    """An order id, or the id derived from an external order id."""
    if raw is None:
        return None
    try:
        return str(UUID(raw))
    except ValueError:
        return str(ids.order_id(raw))


def type_filter(raw: list[str]) -> set[str]:
    return {part.strip().upper() for item in raw for part in item.split(",") if part.strip()}


def matches(value: dict[str, Any] | None, types: set[str], order: str | None) -> bool:
    if value is None:
        return not types and order is None
    if types and str(value.get("type", "")).upper() not in types:
        return False
    return order is None or order in (value.get("order_id"), value.get("aggregate_id"))


def human_line(value: dict[str, Any] | None, partition: int, offset: int, raw: bytes) -> str:
    if value is None:
        return f"p{partition}@{offset} (not JSON) {raw[:120]!r}"
    parts = [
        str(value.get("occurred_at", "?")),
        f"{value.get('type', '?'):<22}",
        f"#{value.get('notification_id', '?')}",
    ]
    if value.get("order_id"):
        parts.append(f"order={str(value['order_id'])[:8]}")
    if value.get("task_id"):
        parts.append(f"task={str(value['task_id'])[:8]}")
    if not value.get("order_id") and not value.get("task_id"):
        parts.append(f"{value.get('aggregate_type', '?')}={str(value.get('aggregate_id'))[:8]}")
    data = value.get("data") or {}
    for field in ("status", "staff_name", "counter", "machine", "name"):
        if field in data and data[field] is not None:
            parts.append(f"{field}={data[field]}")
    parts.append(f"p{partition}@{offset}")
    return " ".join(parts)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.adapters.kafka.tail import KafkaTail

    if args.max is not None and args.max < 1:
        print("kangaroo-paw tail: --max must be >= 1", file=sys.stderr)
        return 2
    types = type_filter(args.type)
    order = order_filter(args.order)
    logging.getLogger("kafka").setLevel(logging.WARNING)  # its INFO chatter is not events
    try:
        tail = KafkaTail(
            settings.kafka_bootstrap,
            args.topic or settings.kafka_topic,
            from_beginning=args.from_beginning,
            wait_for_topic_secs=min(10.0, args.timeout) if args.timeout else 10.0,
        )
    except ModuleNotFoundError:  # no services extra: the CLI names the install command
        raise
    except Exception as exc:  # noqa: BLE001 - no broker, no topic: say so plainly
        print(f"kangaroo-paw tail: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    where = "the beginning" if args.from_beginning else "the end"
    print(
        f"kangaroo-paw tail: {tail.topic} ({len(tail.partitions)} partitions) from {where}",
        file=sys.stderr,
        flush=True,
    )
    shown = 0
    try:
        for record in tail.records(args.timeout):
            if not matches(record.value, types, order):
                continue
            if args.json:
                line = json.dumps(record.value) if record.value is not None else repr(record.raw)
            else:
                line = human_line(record.value, record.partition, record.offset, record.raw)
            print(line, flush=True)
            shown += 1
            if args.max is not None and shown >= args.max:
                break
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `kangaroo-paw tail | head`
        sys.stderr.close()
    finally:
        tail.close()
    return 0
