"""RedisReadyQueue against the shared ReadyQueue contract, plus what only Redis can show (atomic
Lua batches, forward-only position, key layout)."""

from __future__ import annotations

import json
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
    task_id = uuid.uuid4()
    return QueueEntry(task_id, counter, machine, 10.0, time.time(), key, f"r|{task_id}")


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
        good = ["R", str(a.task_id), "U", str(b.task_id), "2.0", b.rank, "k", "f", "{}"]
        bad = ["U", str(uuid.uuid4()), "nan", "m", "k", "f", "{}"]
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
            (a.rank, -3.5),
            (b.rank, 2.0),
        ]
        assert redis_client.zrange(f"{p}tasks:pending:griller:grill-1", 0, -1) == [a.rank]
        assert redis_client.zrange(f"{p}tasks:pending:fryer:-", 0, -1) == [b.rank]
        assert redis_client.get(f"{p}tasks:position") == "5"
        assert redis_client.get(f"{p}tasks:layout") == "2"
        pooled = QueueEntry(uuid.uuid4(), "fryer", None, 1.0, 0.0, 3.0, "r|p", "fryer")
        queue.apply([Upsert(pooled)], 6)
        assert redis_client.zrange(f"{p}tasks:pending:fryer:*fryer", 0, -1) == ["r|p"]
        assert redis_client.hget(f"{p}tasks:groups", '["fryer",null,"fryer"]') == "1"
        assert redis_client.hget(f"{p}tasks:groups", '["griller","grill-1"]') == "1"
        queue.clear()
        assert list(redis_client.scan_iter(match=f"{p}*")) == [f"{p}tasks:layout"]

    def test_entries_written_before_pools_read_back_without_a_kind(
        self, queue: RedisReadyQueue, redis_client: Any
    ) -> None:
        a = entry(key=1.0)
        queue.apply([Upsert(a)], 1)
        raw = json.loads(redis_client.hget(f"{queue.prefix}tasks:entries", str(a.task_id)))
        del raw["mk"]  # as a layout-2 queue wrote it before machine kinds
        redis_client.hset(f"{queue.prefix}tasks:entries", str(a.task_id), json.dumps(raw))
        assert queue.top(1) == [a]
        assert queue.groups() == {("griller", "grill-1", None): 1}

    def test_a_queue_of_the_first_layout_is_dropped_for_a_rebuild(
        self, redis_client: Any, redis_prefix: str
    ) -> None:
        # What the first version left: members are task ids, scores the aging key, no layout.
        p = redis_prefix
        old_id = str(uuid.uuid4())
        group = '["griller","grill-1"]'
        body = json.dumps(
            {"id": old_id, "c": "griller", "m": "grill-1", "p": 20.0, "r": 1.0, "k": -19.8,
             "g": group}
        )  # fmt: skip
        redis_client.zadd(f"{p}tasks:pending", {old_id: -19.8})
        redis_client.zadd(f"{p}tasks:pending:griller:grill-1", {old_id: -19.8})
        redis_client.hset(f"{p}tasks:entries", old_id, body)
        redis_client.hset(f"{p}tasks:groups", group, 1)
        redis_client.hset(f"{p}tasks:group_keys", group, f"{p}tasks:pending:griller:grill-1")
        redis_client.set(f"{p}tasks:position", 42)
        queue = RedisReadyQueue(redis_client, redis_prefix)
        try:
            # Position 0: the projector replays the whole log into the new layout.
            assert (queue.position(), queue.size(), queue.top(5), queue.groups()) == (0, 0, [], {})
            assert redis_client.get(f"{p}tasks:layout") == "2"
            fresh = entry(key=1.0)
            queue.apply([Upsert(fresh)], 1)
            assert queue.top(5) == [fresh]
            # A second process starting later finds the new layout and keeps it.
            again = RedisReadyQueue(redis_client, redis_prefix)
            assert not again.migrate()
            assert again.top(5) == [fresh]
        finally:
            queue.clear()
