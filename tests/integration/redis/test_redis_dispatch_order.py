"""The Redis ready queue orders a random kitchen's ready tasks exactly as the in-memory queue
and a rebuild from the log do (the worlds of tests/unit/application/test_dispatch_order.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kangaroo_paw.adapters.redis.queue import RedisReadyQueue
from kangaroo_paw.application.projection import Projections
from unit.application.test_dispatch_order import (
    STEPS,
    assert_queue_equals_rebuild,
    build,
    run_step,
)

pytestmark = pytest.mark.redis


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data(), steps=STEPS)
def test_redis_queue_orders_exactly_like_the_memory_queue(
    data: st.DataObject, steps: list[str], redis_client: Any, redis_prefix: str
) -> None:
    world = build(data)
    for step in steps:
        run_step(world, data, step)
    live = assert_queue_equals_rebuild(world)
    queue = RedisReadyQueue(redis_client, redis_prefix)
    queue.clear()
    try:
        log = world.kitchen.recorded(0, 1_000_000)
        if log:
            Projections(world.kitchen).apply_to_queue(queue, log)
        assert queue.top(1_000_000) == live
        for group, size in queue.groups().items():
            assert queue.head(group, size) == [e for e in live if e.group == group]
    finally:
        queue.clear()
