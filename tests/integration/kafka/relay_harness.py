"""Helpers of the relay tests: a workload, the relay as a real process, reading the topic
back, and the delivery checks (nothing lost, per-order order, duplicates recognisable)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import Services, build_services
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.settings import Settings

ITEMS = ("burger_combo", "wrap", "cold_coffee", "dip_cup")


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Workload:
    """Confirms orders (and cancels some) on the Postgres kitchen of ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.services: Services = build_services(settings, with_queue=False)
        self.kitchen = self.services.kitchen
        seed_demo_kitchen(self.kitchen)
        self.orders = 0

    def confirm(self, count: int) -> None:
        for _ in range(count):
            i = self.orders
            self.orders += 1
            items = {ITEMS[i % 4]: 1 + i % 2, ITEMS[(i + 1) % 4]: 1}
            view, _ = self.kitchen.confirm_order(items, f"relay-{uuid.uuid4().hex[:8]}-{i}")
            if i % 5 == 4:
                self.kitchen.cancel_order(view.order_id, "relay test")

    def stored(self) -> list[Envelope]:
        return self.kitchen.event_log(0, 10_000_000)

    def head(self) -> int:
        return self.kitchen.head_position()

    def close(self) -> None:
        self.services.close()


def tracking(settings: Settings) -> tuple[int, int, str | None]:
    """(position, attempts, last_error) of the relay of ``settings``."""
    from kangaroo_paw.adapters.postgres.connection import connect
    from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
    from kangaroo_paw.entrypoints.relay import relay_name

    with connect(settings, "test") as conn:
        state = PostgresPositionStore(conn, relay_name(settings)).state()
    return state.position, state.attempts, state.last_error


def active_relay(settings: Settings) -> str | None:
    """The application name of the session holding the relay lock."""
    from kangaroo_paw.adapters.postgres.connection import connect
    from kangaroo_paw.adapters.postgres.leadership import lock_holder
    from kangaroo_paw.entrypoints.relay import relay_lock_name

    with connect(settings, "test") as conn:
        holder = lock_holder(conn, relay_lock_name(settings))
    return None if holder is None else str(holder["application_name"])


@dataclass
class Record:
    partition: int
    offset: int
    key: bytes
    value: bytes

    @property
    def body(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.value)
        return result


def read_topic(settings: Settings, timeout: float = 60.0) -> list[Record]:
    """Every record on the topic, from the beginning to the current end offsets."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=15000,
    )
    try:
        partitions = [
            TopicPartition(settings.kafka_topic, p)
            for p in sorted(consumer.partitions_for_topic(settings.kafka_topic) or [])
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise AssertionError("could not read the topic to its end offsets")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records += [Record(tp.partition, r.offset, r.key, r.value) for r in batch]
        return records
    finally:
        consumer.close()


def end_offsets(settings: Settings) -> dict[int, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    try:
        partitions = [
            TopicPartition(settings.kafka_topic, p)
            for p in consumer.partitions_for_topic(settings.kafka_topic) or []
        ]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def assert_delivered(
    records: list[Record],
    stored: list[Envelope],
    *,
    duplicates_allowed: bool,
    acknowledged_before: dict[int, int] | None = None,
) -> int:
    """Every stored event is on the topic; first occurrences keep per-order order; a
    duplicate is byte-identical to its first copy and (if ``acknowledged_before`` is given,
    the end offsets before the relay was restarted) that first copy was already on the topic.
    Returns the number of duplicate records."""
    by_id = {str(e.event_id): e for e in stored}
    first: dict[str, Record] = {}
    duplicates = 0
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = record.body["event_id"]
        assert event_id in by_id, f"record {record} is not a stored event"
        if event_id in first:
            duplicates += 1
            original = first[event_id]
            assert record.value == original.value
            assert record.key == original.key
            if acknowledged_before is not None:
                assert original.offset < acknowledged_before.get(original.partition, 0), (
                    f"duplicate of {event_id} whose first copy was not acknowledged before"
                )
            continue
        first[event_id] = record
    assert set(first) == set(by_id), f"{len(set(by_id) - set(first))} stored events missing"
    if not duplicates_allowed:
        assert duplicates == 0
    # Key = the order (else the aggregate); one key → one partition → the stored order.
    sequences: dict[bytes, list[tuple[int, int, int]]] = defaultdict(list)
    for event_id, record in first.items():
        envelope = by_id[event_id]
        assert record.key == str(envelope.key).encode()
        assert Envelope.from_dict(record.body) == envelope
        sequences[record.key].append((record.partition, record.offset, envelope.notification_id))
    for key, items in sequences.items():
        assert len({p for p, _, _ in items}) == 1, f"key {key!r} spread over partitions"
        by_offset = [n for _, _, n in sorted(items)]
        assert by_offset == sorted(by_offset), f"events of {key!r} out of order"
    return duplicates


class RelaySubprocess:
    """``kangaroo-paw relay`` as a real process on the test's schema and topic."""

    def __init__(self, settings: Settings, name: str, log_dir: Path) -> None:
        self.name = f"kp-test-relay-{name}-{uuid.uuid4().hex[:6]}"
        env = dict(os.environ)
        env.update(
            {
                "KP_DATABASE_URL": settings.database_url,
                "KP_POSTGRES_SCHEMA": settings.postgres_schema,
                "KP_POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
                "KP_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "KP_KAFKA_TOPIC": settings.kafka_topic,
                "KP_RELAY_BATCH_SIZE": str(settings.relay_batch_size),
                "KP_RELAY_POLL_SECS": str(settings.relay_poll_secs),
                "KP_LOG_LEVEL": "INFO",
                "PGAPPNAME": self.name,  # tags every connection of the process
            }
        )
        self.log_path = log_dir / f"{self.name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "relay"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.alive():
            self.kill()
        self._log.close()
