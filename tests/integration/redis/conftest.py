"""Redis fixtures: a client on KP_REDIS_URL and a key prefix of its own for every test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kangaroo_paw.settings import Settings


def drop_prefix(client: Any, prefix: str) -> None:
    """Delete every key under ``prefix`` (glob characters in it are escaped)."""
    pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix) + "*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_client() -> Iterator[Any]:
    from kangaroo_paw.adapters.redis.queue import connect

    client = connect(Settings.from_env().redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: Any) -> Iterator[str]:
    prefix = f"kp-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    drop_prefix(redis_client, prefix)
