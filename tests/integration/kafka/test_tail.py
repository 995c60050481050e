"""``kangaroo-paw tail`` against a real broker: every partition, from the beginning or from
the end, filtered by type and order, as JSON or human lines, bounded by --max/--timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from kangaroo_paw.domain import ids
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.kafka

CLI = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "tail"]


def envelope(kind: str, order: uuid.UUID, n: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "aggregate_type": "Task" if kind.startswith("TASK") else "Order",
        "aggregate_id": str(uuid.uuid4()),
        "aggregate_version": 1,
        "notification_id": n,
        "occurred_at": "2026-01-01T12:00:00Z",
        "order_id": str(order),
        "task_id": None,
        "data": {"status": "READY"},
    }


def publish(topic: str, envelopes: list[dict[str, Any]]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=Settings.from_env().kafka_bootstrap, acks="all")
    for env in envelopes:
        producer.send(topic, json.dumps(env).encode(), key=env["order_id"].encode())
    producer.flush(15)
    producer.close()


def tail(topic: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--topic", topic, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ),
    )


def test_tail_from_the_beginning_reads_every_partition_and_filters(kafka_topic: str) -> None:
    orders = [ids.order_id(f"tail-{uuid.uuid4()}") for _ in range(6)]  # keys spread over 3
    sent = [
        envelope(kind, order, n)
        for n, (order, kind) in enumerate(
            ((o, k) for o in orders for k in ("ORDER_CONFIRMED", "TASK_READY")), start=1
        )
    ]
    publish(kafka_topic, sent)

    everything = tail(kafka_topic, "--from-beginning", "--json", "--timeout", "3")
    assert everything.returncode == 0, everything.stderr
    got = [json.loads(line) for line in everything.stdout.splitlines()]
    assert sorted(e["event_id"] for e in got) == sorted(e["event_id"] for e in sent)
    assert "3 partitions" in everything.stderr

    ready = tail(
        kafka_topic, "--from-beginning", "--json", "--timeout", "3", "--type", "task_ready"
    )
    assert {json.loads(line)["type"] for line in ready.stdout.splitlines()} == {"TASK_READY"}
    assert len(ready.stdout.splitlines()) == len(orders)

    one = tail(kafka_topic, "--from-beginning", "--timeout", "3", "--order", str(orders[0]))
    lines = one.stdout.splitlines()
    assert len(lines) == 2
    assert "ORDER_CONFIRMED" in lines[0]
    assert f"order={str(orders[0])[:8]}" in lines[0]

    capped = tail(kafka_topic, "--from-beginning", "--max", "3", "--json")
    assert capped.returncode == 0
    assert len(capped.stdout.splitlines()) == 3


def test_tail_from_the_end_prints_only_new_events(kafka_topic: str) -> None:
    old_order = ids.order_id(f"tail-{uuid.uuid4()}")
    publish(kafka_topic, [envelope("ORDER_CONFIRMED", old_order, 1)])
    proc = subprocess.Popen(
        [*CLI, "--topic", kafka_topic, "--json", "--max", "2", "--timeout", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert "from the end" in proc.stderr.readline()  # positioned: now publish
        new_order = ids.order_id(f"tail-{uuid.uuid4()}")
        fresh = [envelope("TASK_READY", new_order, 2), envelope("TASK_ASSIGNED", new_order, 3)]
        time.sleep(0.2)
        publish(kafka_topic, fresh)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    got = [json.loads(line) for line in out.splitlines()]
    assert sorted(e["event_id"] for e in got) == sorted(e["event_id"] for e in fresh)


def test_tail_reports_a_missing_topic() -> None:
    done = tail(f"kp-missing-{uuid.uuid4().hex[:8]}", "--timeout", "1")
    assert done.returncode == 1
    assert "no partitions" in done.stderr
