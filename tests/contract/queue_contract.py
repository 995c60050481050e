"""The ReadyQueue contract: behaviour every ready-queue adapter must show.

How to reuse it for another adapter (Redis, ...)::

    from contract.queue_contract import ReadyQueueContract

    class TestRedisReadyQueue(ReadyQueueContract):
        @pytest.fixture
        def queue(self, redis_client, redis_prefix) -> Iterator[ReadyQueue]:
            queue = RedisReadyQueue(redis_client, redis_prefix)
            yield queue
            queue.clear()

A subclass either overrides ``make_queue()`` (an adapter that needs nothing else), or the
``queue`` fixture itself (one that needs other fixtures, like a client or a key prefix). Every
test gets a new, empty queue. ``contract.queue_contract`` resolves because pyproject's pytest
``pythonpath`` puts ``tests/`` on ``sys.path`` (no ``__init__.py`` files).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kangaroo_paw.ports.queue import GroupKey, QueueEntry, QueueOp, ReadyQueue, Remove, Upsert

GRILL: GroupKey = ("griller", "grill-1", None)
FRYER: GroupKey = ("fryer", "fryer-1", None)
ADHOC: GroupKey = ("adhoc", None, None)
FRYERS: GroupKey = ("fryer", None, "fryer")  # a pool: any fryer-kind machine at the counter
READY_AT = 1_767_268_800.0  # 2026-01-01T12:00:00Z


def entry(
    group: GroupKey = GRILL, key: float = 0.0, priority: float = 10.0, rank: str = ""
) -> QueueEntry:
    """An entry with score ``key``; its rank is ``rank`` followed by the task id, as the
    production ranks are (so equal ranks prefixes fall back to the task id)."""
    task_id = uuid.uuid4()
    return QueueEntry(
        task_id, group[0], group[1], priority, READY_AT, key, f"{rank}|{task_id}", group[2]
    )


def moved(old: QueueEntry, group: GroupKey, priority: float, score: float) -> QueueEntry:
    return QueueEntry(
        old.task_id, group[0], group[1], priority, old.ready_at, score, old.rank, group[2]
    )


def ids(entries: list[QueueEntry]) -> list[uuid.UUID]:
    return [e.task_id for e in entries]


class ReadyQueueContract:
    """Ordering by (score, rank) with ranks compared byte by byte, per-group heads and sizes,
    idempotent batches, a forward-only position, clear. Override ``make_queue`` or the
    ``queue`` fixture."""

    def make_queue(self) -> ReadyQueue:
        raise NotImplementedError("a ReadyQueueContract subclass must provide a queue")

    @pytest.fixture
    def queue(self) -> Iterator[ReadyQueue]:
        queue = self.make_queue()
        yield queue
        queue.clear()

    # -- empty ---------------------------------------------------------------------------------

    def test_a_new_queue_is_empty(self, queue: ReadyQueue) -> None:
        assert queue.size() == 0
        assert queue.position() == 0
        assert queue.top(10) == []
        assert queue.groups() == {}
        assert queue.head(GRILL, 5) == []

    # -- ordering ------------------------------------------------------------------------------

    def test_top_is_ascending_key_across_groups(self, queue: ReadyQueue) -> None:
        a, b, c, d = entry(GRILL, -5.5), entry(FRYER, -7.25), entry(ADHOC, 3.0), entry(GRILL, 0)
        queue.apply([Upsert(x) for x in (a, b, c, d)], 1)
        assert queue.top(10) == [b, a, d, c]
        assert queue.size() == 4

    def test_top_respects_its_limit(self, queue: ReadyQueue) -> None:
        entries = [entry(GRILL, float(k)) for k in range(6)]
        queue.apply([Upsert(e) for e in entries], 1)
        assert queue.top(2) == entries[:2]
        assert queue.top(0) == []
        assert queue.top(100) == entries

    def test_equal_scores_are_ordered_by_rank(self, queue: ReadyQueue) -> None:
        tied = [entry(g, 1.0) for g in (GRILL, FRYER, ADHOC, GRILL)]
        queue.apply([Upsert(e) for e in tied], 1)
        expected = sorted(tied, key=lambda e: str(e.task_id))
        assert queue.top(10) == expected
        grill = [e for e in expected if e.group == GRILL]
        assert queue.head(GRILL, 10) == grill

    def test_ranks_compare_byte_by_byte_before_the_task_id(self, queue: ReadyQueue) -> None:
        # Bytes, not "natural" order: "9" (0x39) < "A" < "a" < "|" (0x7c). The rank is the
        # tie-breaker of the dispatch key, so every adapter must agree on it.
        ranks = ["0000|b", "0000|a", "00009", "0001", "A", "a"]
        entries = [entry(GRILL, 2.5, rank=r) for r in ranks]
        queue.apply([Upsert(e) for e in entries], 1)
        expected = sorted(entries, key=lambda e: e.rank.encode())
        assert queue.top(10) == expected
        assert queue.head(GRILL, 10) == expected
        by_prefix = {e.task_id: r for e, r in zip(entries, ranks, strict=True)}
        got = [by_prefix[e.task_id] for e in queue.top(10)]
        assert got == ["00009", "0000|a", "0000|b", "0001", "A", "a"]

    def test_a_lower_score_wins_over_any_rank(self, queue: ReadyQueue) -> None:
        late = entry(GRILL, 1_767_268_800.000001, rank="0")
        early = entry(GRILL, 1_767_268_800.0, rank="z")
        queue.apply([Upsert(late), Upsert(early)], 1)
        assert queue.top(2) == [early, late]

    def test_entries_round_trip_exactly(self, queue: ReadyQueue) -> None:
        priority, aging = 16.1, 0.14
        ready_at = 1_764_390_000.123456
        exact_id = uuid.uuid4()
        exact = QueueEntry(
            exact_id,
            "beverage",
            "blender-1",
            priority,
            ready_at,
            -(priority - aging * ready_at),
            f"01764390000123456|{uuid.uuid4()}|9999884999|0999984000|{exact_id}",
        )
        other_id = uuid.uuid4()
        counter_only = QueueEntry(other_id, "adhoc", None, -3.5, ready_at, 1e-9, str(other_id))
        queue.apply([Upsert(exact), Upsert(counter_only)], 1)
        assert queue.top(2) == [counter_only, exact]
        assert queue.head(exact.group, 1) == [exact]
        assert queue.head(ADHOC, 1) == [counter_only]

    # -- groups --------------------------------------------------------------------------------

    def test_groups_count_their_entries(self, queue: ReadyQueue) -> None:
        queue.apply(
            [Upsert(entry(GRILL, k)) for k in (1, 2, 3)]
            + [Upsert(entry(ADHOC, k)) for k in (0.5, 9)]
            + [Upsert(entry(("griller", None, None), 4))],
            7,
        )
        assert queue.groups() == {GRILL: 3, ADHOC: 2, ("griller", None, None): 1}

    def test_head_is_the_front_of_one_group(self, queue: ReadyQueue) -> None:
        grill = [entry(GRILL, k) for k in (3.0, 1.0, 2.0)]
        fryer = [entry(FRYER, k) for k in (0.0, 1.5)]
        queue.apply([Upsert(e) for e in grill + fryer], 1)
        by_key = sorted(grill, key=lambda e: e.key)
        assert queue.head(GRILL, 2) == by_key[:2]
        assert queue.head(GRILL, 10) == by_key
        assert queue.head(FRYER, 1) == [fryer[0]]
        assert queue.head(("fryer", None, None), 10) == []  # a counter-only group is another group
        assert queue.head(GRILL, 0) == []

    # -- pools ---------------------------------------------------------------------------------

    def test_a_pool_is_a_group_of_its_own(self, queue: ReadyQueue) -> None:
        """A kind is not a machine: the pool of kind ``fryer`` and a machine named ``fryer``
        (or the counter-only group) are three groups; the entry keeps its kind."""
        pool = [entry(FRYERS, k) for k in (2.0, 0.5)]
        named = entry(("fryer", "fryer", None), 1.0)
        bare = entry(("fryer", None, None), 3.0)
        queue.apply([Upsert(e) for e in [*pool, named, bare]], 4)
        assert queue.groups() == {FRYERS: 2, ("fryer", "fryer", None): 1, ("fryer", None, None): 1}
        assert queue.head(FRYERS, 5) == sorted(pool, key=lambda e: e.key)
        assert queue.head(FRYERS, 5)[0].machine_kind == "fryer"
        assert queue.top(5) == [pool[1], named, pool[0], bare]
        assert queue.head(("fryer", None, "grill"), 5) == []

    def test_an_entry_moves_between_a_machine_and_a_pool(self, queue: ReadyQueue) -> None:
        one = entry(FRYER, 1.0)
        queue.apply([Upsert(one)], 1)
        pooled = moved(one, FRYERS, one.priority, one.score)
        queue.apply([Upsert(pooled)], 2)
        assert queue.groups() == {FRYERS: 1}
        assert queue.head(FRYERS, 1) == [pooled]
        assert queue.head(FRYER, 1) == []
        queue.apply([Remove(one.task_id)], 3)
        assert (queue.groups(), queue.size()) == ({}, 0)

    def test_upsert_moves_an_entry_between_groups_and_keys(self, queue: ReadyQueue) -> None:
        first = entry(GRILL, 5.0)
        other = entry(GRILL, 6.0)
        queue.apply([Upsert(first), Upsert(other)], 1)
        there = moved(first, FRYER, 20.0, -1.0)
        queue.apply([Upsert(there)], 2)
        assert queue.size() == 2
        assert queue.groups() == {GRILL: 1, FRYER: 1}
        assert queue.top(5) == [there, other]
        assert queue.head(GRILL, 5) == [other]

    def test_upsert_changes_the_rank_in_place(self, queue: ReadyQueue) -> None:
        a, b = entry(GRILL, 1.0, rank="5"), entry(GRILL, 1.0, rank="6")
        queue.apply([Upsert(a), Upsert(b)], 1)
        first = QueueEntry(
            b.task_id, b.counter, b.machine, b.priority, b.ready_at, 1.0, f"1|{b.task_id}"
        )
        queue.apply([Upsert(first)], 2)
        assert queue.top(5) == [first, a]
        assert queue.head(GRILL, 5) == [first, a]
        assert (queue.size(), queue.groups()) == (2, {GRILL: 2})
        queue.apply([Remove(b.task_id)], 3)
        assert queue.top(5) == [a]

    def test_upsert_changes_the_key_in_place(self, queue: ReadyQueue) -> None:
        a, b = entry(GRILL, 1.0), entry(GRILL, 2.0)
        queue.apply([Upsert(a), Upsert(b)], 1)
        boosted = moved(b, b.group, b.priority + 10, -8.0)
        queue.apply([Upsert(boosted)], 2)
        assert queue.top(5) == [boosted, a]
        assert queue.head(GRILL, 5) == [boosted, a]
        assert queue.size() == 2

    # -- removal -------------------------------------------------------------------------------

    def test_remove_takes_an_entry_out_everywhere(self, queue: ReadyQueue) -> None:
        a, b = entry(GRILL, 1), entry(GRILL, 2)
        queue.apply([Upsert(a), Upsert(b)], 1)
        queue.apply([Remove(a.task_id)], 2)
        assert queue.top(5) == [b]
        assert queue.head(GRILL, 5) == [b]
        assert queue.groups() == {GRILL: 1}
        queue.apply([Remove(b.task_id)], 3)
        assert (queue.size(), queue.groups(), queue.top(5)) == (0, {}, [])

    def test_removing_a_missing_id_is_harmless(self, queue: ReadyQueue) -> None:
        a = entry(GRILL, 1)
        queue.apply([Upsert(a)], 1)
        queue.apply([Remove(uuid.uuid4())], 2)
        queue.apply([Remove(a.task_id), Remove(a.task_id)], 3)
        assert queue.size() == 0
        assert queue.position() == 3

    # -- batches and position ------------------------------------------------------------------

    def test_ops_of_one_batch_apply_in_order(self, queue: ReadyQueue) -> None:
        a = entry(GRILL, 1)
        queue.apply([Upsert(a), Remove(a.task_id), Upsert(a)], 4)
        assert queue.top(5) == [a]
        queue.apply([Upsert(a), Remove(a.task_id)], 5)
        assert queue.size() == 0

    def test_applying_the_same_batch_twice_is_harmless(self, queue: ReadyQueue) -> None:
        a, b, c = entry(GRILL, 1), entry(FRYER, 2), entry(ADHOC, 0)
        batch: list[QueueOp] = [Upsert(a), Upsert(b), Upsert(c), Remove(a.task_id)]
        queue.apply(batch, 10)
        state = (queue.top(10), queue.groups(), queue.position(), queue.size())
        queue.apply(batch, 10)
        assert (queue.top(10), queue.groups(), queue.position(), queue.size()) == state

    def test_position_is_the_last_batch_applied_and_never_goes_back(
        self, queue: ReadyQueue
    ) -> None:
        queue.apply([Upsert(entry())], 3)
        assert queue.position() == 3
        queue.apply([], 8)  # an empty batch still records how far the projection got
        assert queue.position() == 8
        queue.apply([], 5)
        assert queue.position() == 8
        queue.apply([Upsert(entry())], 9)
        assert queue.position() == 9

    def test_clear_drops_everything_position_included(self, queue: ReadyQueue) -> None:
        queue.apply([Upsert(entry(GRILL, 1)), Upsert(entry(ADHOC, 2))], 9)
        queue.clear()
        assert (queue.size(), queue.position(), queue.groups(), queue.top(5)) == (0, 0, {}, [])
        queue.apply([Upsert(entry(GRILL, 1))], 1)
        assert (queue.size(), queue.position()) == (1, 1)

    def test_a_larger_queue_stays_sorted(self, queue: ReadyQueue) -> None:
        groups = [GRILL, FRYER, ADHOC, ("beverage", "blender-1", None), FRYERS]
        entries = [entry(groups[n % 5], float((n * 7919) % 101) / 4) for n in range(200)]
        queue.apply([Upsert(e) for e in entries], 1)
        queue.apply([Remove(e.task_id) for e in entries[::3]], 2)
        kept = [e for n, e in enumerate(entries) if n % 3]
        expected = sorted(kept, key=lambda e: e.key)
        assert ids(queue.top(1000)) == ids(expected)
        assert queue.size() == len(kept)
        for group in groups:
            in_group = [e for e in expected if e.group == group]
            assert ids(queue.head(group, 1000)) == ids(in_group)
            assert queue.groups()[group] == len(in_group)
