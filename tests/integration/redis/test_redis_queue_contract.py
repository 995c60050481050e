"""RedisReadyQueue against the ReadyQueue contract, plus what only Redis can show (atomic
Lua batches, forward-only position, key layout)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from kangaroo_paw.adapters.redis.queue import RedisReadyQueue
from kangaroo_paw.ports.queue import QueueEntry, ReadyQueue, Remove, Upsert

pytestmark = pytest.mark.redis


def entry(
    counter: str = "griller", machine: str | None = "grill-1", key: float = 0.0
) -> QueueEntry:
    return QueueEntry(uuid.uuid4(), counter, machine, 10.0, time.time(), key)


class ReadyQueueContract:
    """Behaviour every ReadyQueue must show (kept here until tests/contract provides it)."""

    @pytest.fixture
    def queue(self) -> ReadyQueue:
        raise NotImplementedError

    def test_empty(self, queue: ReadyQueue) -> None:
        assert queue.size() == 0
        assert queue.position() == 0
        assert queue.top(10) == []
        assert queue.groups() == {}
        assert queue.head(("griller", "grill-1"), 5) == []

    def test_top_orders_by_key_then_task_id(self, queue: ReadyQueue) -> None:
        a, b, c = (
            entry(key=-5.5),
            entry("fryer", "fryer-1", key=-7.25),
            entry("beverage", "blender-1", key=3),
        )
        tie1, tie2 = entry(key=1.0), entry("adhoc", None, key=1.0)
        queue.apply([Upsert(e) for e in (a, b, c, tie1, tie2)], 1)
        ties = sorted([tie1, tie2], key=lambda e: str(e.task_id))
        assert queue.top(10) == [b, a, *ties, c]
        assert queue.top(2) == [b, a]
        assert queue.top(0) == []
        assert queue.size() == 5

    def test_groups_and_heads(self, queue: ReadyQueue) -> None:
        g1 = [entry(key=k) for k in (3.0, 1.0, 2.0)]
        g2 = [entry("griller", None, key=k) for k in (0.5, 9.0)]
        queue.apply([Upsert(e) for e in g1 + g2], 7)
        assert queue.groups() == {("griller", "grill-1"): 3, ("griller", None): 2}
        assert [e.key for e in queue.head(("griller", "grill-1"), 2)] == [1.0, 2.0]
        assert queue.head(("griller", None), 10) == sorted(g2, key=lambda e: e.key)
        assert queue.head(("fryer", None), 10) == []

    def test_upsert_moves_an_entry_between_groups_and_keys(self, queue: ReadyQueue) -> None:
        first = entry(key=5.0)
        queue.apply([Upsert(first)], 1)
        moved = QueueEntry(first.task_id, "fryer", "fryer-1", 20.0, first.ready_at + 1, -1.0)
        queue.apply([Upsert(moved)], 2)
        assert queue.size() == 1
        assert queue.groups() == {("fryer", "fryer-1"): 1}
        assert queue.top(5) == [moved]
        assert queue.head(("griller", "grill-1"), 5) == []

    def test_remove_and_missing_remove(self, queue: ReadyQueue) -> None:
        a, b = entry(key=1), entry(key=2)
        queue.apply([Upsert(a), Upsert(b)], 1)
        queue.apply([Remove(a.task_id), Remove(uuid.uuid4())], 2)
        assert queue.top(5) == [b]
        queue.apply([Remove(b.task_id)], 3)
        assert queue.size() == 0
        assert queue.groups() == {}
        assert queue.position() == 3

    def test_ops_of_one_batch_apply_in_order(self, queue: ReadyQueue) -> None:
        a = entry(key=1)
        queue.apply([Upsert(a), Remove(a.task_id), Upsert(a)], 4)
        assert queue.top(5) == [a]
        queue.apply([Upsert(a), Remove(a.task_id)], 5)
        assert queue.size() == 0

    def test_replaying_a_batch_is_harmless(self, queue: ReadyQueue) -> None:
        a, b = entry(key=1), entry("fryer", None, key=2)
        batch = [Upsert(a), Upsert(b), Remove(a.task_id)]
        queue.apply(batch, 10)
        state = (queue.top(10), queue.groups(), queue.position(), queue.size())
        queue.apply(batch, 10)
        assert (queue.top(10), queue.groups(), queue.position(), queue.size()) == state

    def test_values_round_trip_exactly(self, queue: ReadyQueue) -> None:
        exact = QueueEntry(uuid.uuid4(), "beverage", "blender-1", 16.1, 1764390000.123456, 0.1)
        exact = QueueEntry(
            exact.task_id,
            exact.counter,
            exact.machine,
            16.1,
            exact.ready_at,
            -(16.1 - 0.14 * exact.ready_at),
        )
        queue.apply([Upsert(exact)], 1)
        assert queue.top(1) == [exact]
        assert queue.head(exact.group, 1) == [exact]

    def test_clear_drops_everything_position_included(self, queue: ReadyQueue) -> None:
        queue.apply([Upsert(entry(key=1)), Upsert(entry("adhoc", None, key=2))], 9)
        queue.clear()
        assert (queue.size(), queue.position(), queue.groups(), queue.top(5)) == (0, 0, {}, [])
        queue.apply([Upsert(entry(key=1))], 1)
        assert queue.position() == 1


class TestRedisReadyQueue(ReadyQueueContract):
    @pytest.fixture
    def queue(self, redis_client: Any, redis_prefix: str) -> ReadyQueue:
        return RedisReadyQueue(redis_client, redis_prefix)

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
