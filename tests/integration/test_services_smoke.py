"""Smoke tests of the backing services `scripts/services up` (or compose) provides.

One real round trip per server, through the same ``KP_*`` settings the app reads. Every name
a test writes is unique, so runs in parallel on the shared servers never meet. Temporal's
round trip lives in ``test_services_smoke_temporal.py`` (its workflow must be module-level).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kangaroo_paw.settings import Settings


@pytest.fixture
def kp() -> Settings:
    return Settings.from_env()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------- postgres


@pytest.mark.postgres
def test_postgres_select_and_temp_table_round_trip(kp: Settings) -> None:
    import psycopg

    with psycopg.connect(kp.database_url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        conn.execute("CREATE TEMP TABLE smoke (id int PRIMARY KEY, payload jsonb NOT NULL)")
        conn.execute(
            "INSERT INTO smoke VALUES (%s, %s::jsonb), (%s, %s::jsonb)",
            (1, '{"dish": "burger"}', 2, '{"dish": "fries"}'),
        )
        rows = conn.execute("SELECT id, payload->>'dish' FROM smoke ORDER BY id").fetchall()
        assert rows == [(1, "burger"), (2, "fries")]
        database, user = conn.execute("SELECT current_database(), current_user").fetchone() or ()
        assert (database, user) == (conn.info.dbname, conn.info.user)


@pytest.mark.postgres
def test_postgres_listen_notify(kp: Settings) -> None:
    """The relay wakes up on NOTIFY, so the server must deliver notifications."""
    import psycopg

    channel = unique("smoke").replace("-", "_")
    with psycopg.connect(kp.database_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {channel}")
        with psycopg.connect(kp.database_url, autocommit=True) as sender:
            sender.execute("SELECT pg_notify(%s, %s)", (channel, "order-42"))
        received = next(listener.notifies(timeout=5, stop_after=1), None)
    assert received is not None
    assert (received.channel, received.payload) == (channel, "order-42")


# --------------------------------------------------------------------------- redis


@pytest.mark.redis
def test_redis_set_get_and_sorted_set(kp: Settings) -> None:
    import redis

    client = redis.Redis.from_url(kp.redis_url, socket_timeout=5, decode_responses=True)
    key = unique("kp-smoke")
    try:
        assert client.ping() is True
        assert client.set(f"{key}:s", "ready", ex=60) is True
        assert client.get(f"{key}:s") == "ready"
        client.zadd(f"{key}:z", {"task-b": 2.0, "task-a": 1.0, "task-c": 3.0})
        assert client.zrange(f"{key}:z", 0, -1) == ["task-a", "task-b", "task-c"]
        assert client.zrange(f"{key}:z", 0, 0, desc=True, withscores=True) == [("task-c", 3.0)]
    finally:
        client.delete(f"{key}:s", f"{key}:z")
        client.close()


# --------------------------------------------------------------------------- kafka


@pytest.mark.kafka
def test_kafka_produce_consume_round_trip(kp: Settings) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = unique("kp-smoke")
    admin = KafkaAdminClient(bootstrap_servers=kp.kafka_bootstrap, request_timeout_ms=15000)
    admin.create_topics([NewTopic(topic, 1, 1)], timeout_ms=15000)
    try:
        value = uuid.uuid4().bytes
        producer = KafkaProducer(bootstrap_servers=kp.kafka_bootstrap, acks="all")
        sent = producer.send(topic, key=b"order-1", value=value).get(timeout=30)
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=kp.kafka_bootstrap, enable_auto_commit=False)
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        records: list[Any] = []
        for _ in range(20):
            records += [r for batch in consumer.poll(timeout_ms=500).values() for r in batch]
            if records:
                break
        consumer.close()
        assert [(r.key, r.value) for r in records[:1]] == [(b"order-1", value)]
    finally:
        admin.delete_topics([topic], timeout_ms=15000)
        admin.close()


@pytest.mark.kafka
def test_kafka_domain_topic_has_three_partitions(kp: Settings) -> None:
    """One order's events keep their order by key; the stack provisions 3 partitions."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=kp.kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic(kp.kafka_topic)
    finally:
        consumer.close()
    assert partitions == {0, 1, 2}
