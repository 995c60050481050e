"""InMemoryReadyQueue: per-(counter, machine, kind) sorted lists, merged for the global order."""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
from collections.abc import Sequence
from uuid import UUID

from kangaroo_paw.ports.queue import GroupKey, QueueEntry, QueueOp, ReadyQueue, Remove, Upsert

_Sortable = tuple[float, str]  # (score, rank); the rank ends with the task id


class InMemoryReadyQueue(ReadyQueue):
    """The embedded ready queue. O(log n) to find, O(n) worst case to insert in a group."""

    def __init__(self) -> None:
        self._entries: dict[UUID, QueueEntry] = {}
        self._by_rank: dict[str, QueueEntry] = {}
        self._groups: dict[GroupKey, list[_Sortable]] = {}
        self._position = 0
        self._lock = threading.RLock()

    def apply(self, ops: Sequence[QueueOp], position: int) -> None:
        with self._lock:
            for op in ops:
                if isinstance(op, Upsert):
                    self._remove(op.entry.task_id)
                    self._insert(op.entry)
                elif isinstance(op, Remove):
                    self._remove(op.task_id)
            self._position = max(self._position, position)

    def _insert(self, entry: QueueEntry) -> None:
        self._entries[entry.task_id] = entry
        self._by_rank[entry.rank] = entry
        bisect.insort(self._groups.setdefault(entry.group, []), entry.key)

    def _remove(self, task_id: UUID) -> None:
        entry = self._entries.pop(task_id, None)
        if entry is None:
            return
        del self._by_rank[entry.rank]
        items = self._groups[entry.group]
        index = bisect.bisect_left(items, entry.key)
        del items[index]
        if not items:
            del self._groups[entry.group]

    def position(self) -> int:
        return self._position

    def top(self, limit: int) -> list[QueueEntry]:
        with self._lock:
            merged = heapq.merge(*self._groups.values())
            return [self._by_rank[rank] for _, rank in itertools.islice(merged, limit)]

    def groups(self) -> dict[GroupKey, int]:
        with self._lock:
            return {key: len(items) for key, items in self._groups.items()}

    def head(self, group: GroupKey, limit: int) -> list[QueueEntry]:
        with self._lock:
            items = self._groups.get(group, [])[:limit]
            return [self._by_rank[rank] for _, rank in items]

    def size(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_rank.clear()
            self._groups.clear()
            self._position = 0
