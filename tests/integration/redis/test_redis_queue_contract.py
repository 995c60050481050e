"""RedisReadyQueue against the shared ReadyQueue contract, plus what only Redis can show (atomic
Lua batches, forward-only position, key layout)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contract.queue_contract import ReadyQueueContract
from kangaroo_paw.adapters.redis.queue import RedisReadyQueue
from kangaroo_paw.ports.queue import QueueEntry, ReadyQueue, Remove, Upsert

pytestmark = pytest.mark.redis


def entry(
    counter: str = "griller", machine: str | None = "grill-1", key: float = 0.0
) -> QueueEntry:
    return QueueEntry(uuid.uuid4(), counter, machine, 10.0, time.time(), key)


class TestRedisReadyQueue(ReadyQueueContract):
    @pytest.fixture
    def queue(self, redis_client: Any, redis_prefix: str) -> Iterator[ReadyQueue]:
        queue = RedisReadyQueue(redis_client, redis_prefix)
        yield queue
        queue.clear()

    def test_position_only_moves_forward_and_old_batches_are_skipped(
        self, queue: RedisReadyQueue
    ) -> None:
        a = entry(key=1)
        queue.apply([Upsert(a)], 10)
        queue.apply([Remove(a.task_id)], 9)
        queue.apply([Remove(a.task_id)], 10)
        assert queue.top(5) == [a]
        assert queue.position() == 10
        queue.apply([], 11)
        assert queue.position() == 11

    def test_an_invalid_batch_writes_nothing(self, queue: RedisReadyQueue) -> None:
        a, b = entry(key=1), entry(key=2)
        queue.apply([Upsert(a)], 1)
        good = ["R", str(a.task_id), "U", str(b.task_id), "2.0", "k", "f", "{}"]
        bad = ["U", str(uuid.uuid4()), "nan", "k", "f", "{}"]
        # Redis does not roll a failed script back, so the script checks the whole batch
        # before its first write: an invalid op leaves the queue and its position untouched.
        with pytest.raises(Exception, match="float score"):
            queue._apply(keys=queue._keys, args=[2, *good, *bad])
        assert (queue.top(5), queue.position(), queue.size()) == ([a], 1, 1)

    def test_key_layout(self, queue: RedisReadyQueue, redis_client: Any) -> None:
        a, b = entry(key=-3.5), entry("fryer", None, key=2)
        queue.apply([Upsert(a), Upsert(b)], 5)
        p = queue.prefix
        assert redis_client.zrange(f"{p}tasks:pending", 0, -1, withscores=True) == [
            (str(a.task_id), -3.5),
            (str(b.task_id), 2.0),
        ]
        assert redis_client.zrange(f"{p}tasks:pending:griller:grill-1", 0, -1) == [str(a.task_id)]
        assert redis_client.zrange(f"{p}tasks:pending:fryer:-", 0, -1) == [str(b.task_id)]
        assert redis_client.get(f"{p}tasks:position") == "5"
        queue.clear()
        assert list(redis_client.scan_iter(match=f"{p}*")) == []
