"""Machine pools with the Redis ready queue: the Kitchen's own allocation pass reads pool
groups from Redis, places them on a live machine of the kind, and a machine going down sends
its unstarted task back through Redis to the other machine."""

from __future__ import annotations

from typing import Any

import pytest

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.redis.queue import RedisReadyQueue
from kangaroo_paw.application.projection import Projections
from kangaroo_paw.composition import build_kitchen
from kangaroo_paw.settings import Settings
from unit.application.test_pool_scenarios import pool_kitchen

pytestmark = pytest.mark.redis


class _Kitchen:
    """The Kitchen on the Redis queue, its projection applied on demand."""

    def __init__(self, queue: RedisReadyQueue) -> None:
        self.queue = queue
        self.kitchen = build_kitchen(
            Settings(store="memory"),
            queue=queue,
            read_model=InMemoryReadModel(),
            clock=ManualClock(),
        )
        self.projections = Projections(self.kitchen)
        self.kitchen.read_own_writes(self.settle)

    def settle(self) -> None:
        """Project everything recorded since the queue's position into Redis."""
        batch = self.kitchen.recorded(self.queue.position(), 1_000_000)
        if batch:
            self.projections.forget()
            self.projections.apply_to_queue(self.queue, batch)


def test_pool_tasks_flow_through_redis(redis_client: Any, redis_prefix: str) -> None:
    queue = RedisReadyQueue(redis_client, redis_prefix)
    world = _Kitchen(queue)
    try:
        pool_kitchen(world.kitchen, capacity=1)
        kitchen = world.kitchen
        first, _ = kitchen.confirm_order({"fries": 1}, "one")
        world.settle()
        assert queue.groups() == {("fry", None, "fryer"): 1}
        assert [a.machine for a in kitchen.allocate().assigned] == ["fryer-a"]
        world.settle()
        assert queue.size() == 0
        kitchen.set_machine_up("fryer-a", False)
        world.settle()
        assert [e.task_id for e in queue.head(("fry", None, "fryer"), 5)] == [
            first.tasks[0].task_id
        ]
        assert [a.machine for a in kitchen.allocate().assigned] == ["fryer-b"]
    finally:
        queue.clear()
