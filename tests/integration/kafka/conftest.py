"""Relay fixtures: a topic of its own (3 partitions) and a migrated schema of its own, both
dropped afterwards, so parallel runs on the shared servers never meet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kangaroo_paw.settings import Settings

PARTITIONS = 3


@pytest.fixture
def kafka_topic() -> Iterator[str]:
    from kafka.admin import KafkaAdminClient, NewTopic

    bootstrap = Settings.from_env().kafka_bootstrap
    name = f"kp-test-{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    admin.create_topics([NewTopic(name, PARTITIONS, 1)], timeout_ms=15000)
    yield name
    try:
        admin.delete_topics([name], timeout_ms=15000)
    finally:
        admin.close()


@pytest.fixture
def relay_settings(kafka_topic: str) -> Iterator[Settings]:
    from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate

    settings = Settings.from_env(
        postgres_schema=f"kp_relay_{uuid.uuid4().hex[:10]}",
        kafka_topic=kafka_topic,
        relay_poll_secs=0.25,
        relay_batch_size=200,
        postgres_pool_size=2,
        seed_demo=False,
    )
    migrate(settings)
    yield settings
    drop_schema(settings)
