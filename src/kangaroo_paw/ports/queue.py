"""ReadyQueue port: the projection of ready tasks in pick order, grouped by resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

# (counter, machine, machine kind): tasks of one group need the same resources; a pool step
# (any machine of a kind at its counter) has a kind and no machine.
GroupKey = tuple[str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A ready task in pick order: ``(score, rank)`` ascending, the dispatch key.

    ``score`` is a float (a sorted-set score) and ``rank`` an ASCII string that breaks ties
    byte by byte and ends with the task id, so every entry's key is unique. ``priority`` and
    ``ready_at`` are kept for the simulator's comparison policies (first version, FIFO).
    """

    task_id: UUID
    counter: str
    machine: str | None
    priority: float
    ready_at: float  # epoch seconds
    score: float
    rank: str
    machine_kind: str | None = None

    @property
    def group(self) -> GroupKey:
        return (self.counter, self.machine, self.machine_kind)

    @property
    def key(self) -> tuple[float, str]:
        return (self.score, self.rank)


@dataclass(frozen=True, slots=True)
class Upsert:
    entry: QueueEntry


@dataclass(frozen=True, slots=True)
class Remove:
    task_id: UUID


QueueOp = Upsert | Remove


class ReadyQueue(Protocol):
    """Ready tasks in dispatch order. Changes arrive in batches together with the
    notification id they reach, applied atomically and idempotently (a replay is harmless)."""

    def apply(self, ops: Sequence[QueueOp], position: int) -> None: ...

    def position(self) -> int:
        """The last notification id applied (0 when empty)."""
        ...

    def top(self, limit: int) -> list[QueueEntry]:
        """The first ``limit`` entries in pick order, across all groups."""
        ...

    def groups(self) -> dict[GroupKey, int]:
        """Every non-empty (counter, machine, machine kind) group with its length."""
        ...

    def head(self, group: GroupKey, limit: int) -> list[QueueEntry]:
        """The first ``limit`` entries of one group, in pick order."""
        ...

    def size(self) -> int: ...

    def clear(self) -> None:
        """Drop everything, position included (before a rebuild)."""
        ...
