"""RedisReadyQueue: the ready queue as Redis sorted sets, changed by one Lua script per batch."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from kangaroo_paw.adapters.redis import scripts
from kangaroo_paw.ports.queue import GroupKey, QueueEntry, QueueOp, ReadyQueue, Remove, Upsert

log = logging.getLogger(__name__)

NO_MACHINE = "-"  # not a valid machine name (names need a letter or digit)
POOL = "*"  # marks a pool group's key: "*fryer" is no machine name (names are [A-Za-z0-9_-])


def connect(url: str) -> Any:
    """A Redis client for ``url``; the ``redis`` package is imported only here."""
    import redis

    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def group_field(group: GroupKey) -> str:
    """The group's hash field: ``[counter, machine]`` as before pools (so a queue written
    then keeps its layout), ``[counter, null, kind]`` for a pool."""
    counter, machine, kind = group
    parts = [counter, machine] if kind is None else [counter, machine, kind]
    return json.dumps(parts, separators=(",", ":"))


def parse_group_field(field: str) -> GroupKey:
    parts = json.loads(field)
    return (parts[0], parts[1], parts[2] if len(parts) > 2 else None)


class RedisReadyQueue(ReadyQueue):
    """Ready tasks in ``{prefix}tasks:pending`` (the dispatch key: score, then the rank as
    member) plus one sorted set per (counter, machine) or pool (counter, kind); the entries,
    the group sizes and the tracking position change together in one Lua script, so a crash
    never leaves them apart.

    A queue written in an older key layout is dropped on first use (``migrate``), position
    included, and the projector rebuilds it from the log."""

    def __init__(self, client: Any, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.pending_key = f"{prefix}tasks:pending"
        self._keys = [
            self.pending_key,
            f"{prefix}tasks:entries",
            f"{prefix}tasks:groups",
            f"{prefix}tasks:group_keys",
            f"{prefix}tasks:position",
            f"{prefix}tasks:members",
        ]
        self._apply = client.register_script(scripts.APPLY)
        self._head = client.register_script(scripts.HEAD)
        self._clear = client.register_script(scripts.CLEAR)
        self._migrate = client.register_script(scripts.MIGRATE)
        self._migrated = False

    @classmethod
    def from_url(cls, url: str, prefix: str = "") -> RedisReadyQueue:
        return cls(connect(url), prefix)

    def group_key(self, group: GroupKey) -> str:
        counter, machine, kind = group
        if kind is not None:
            return f"{self.pending_key}:{counter}:{POOL}{kind}"
        return f"{self.pending_key}:{counter}:{machine or NO_MACHINE}"

    # -- writes --------------------------------------------------------------------------------

    def migrate(self) -> bool:
        """Drop a queue of another key layout (once per instance); True if it dropped one."""
        if self._migrated:
            return False
        dropped = bool(self._migrate(keys=[*self._keys, self.layout_key], args=[scripts.LAYOUT]))
        self._migrated = True
        if dropped:
            log.warning(
                "ready queue %r was in an older key layout: dropped, to be rebuilt from the log",
                self.pending_key,
            )
        return dropped

    @property
    def layout_key(self) -> str:
        return f"{self.prefix}tasks:layout"

    def apply(self, ops: Sequence[QueueOp], position: int) -> None:
        self.migrate()
        args: list[str | int] = [int(position)]
        for op in ops:
            if isinstance(op, Upsert):
                entry = op.entry
                field = group_field(entry.group)
                args += ["U", str(entry.task_id), repr(float(entry.score)), entry.rank]
                args += [self.group_key(entry.group), field, _encode(entry, field)]
            elif isinstance(op, Remove):
                args += ["R", str(op.task_id)]
        self._apply(keys=self._keys, args=args)

    def clear(self) -> None:
        self._clear(keys=self._keys)
        self.client.set(self.layout_key, scripts.LAYOUT)
        self._migrated = True

    # -- reads ---------------------------------------------------------------------------------

    def position(self) -> int:
        self.migrate()
        raw = self.client.get(self._keys[4])
        return int(raw) if raw else 0

    def top(self, limit: int) -> list[QueueEntry]:
        return self._read(self.pending_key, limit)

    def head(self, group: GroupKey, limit: int) -> list[QueueEntry]:
        return self._read(self.group_key(group), limit)

    def groups(self) -> dict[GroupKey, int]:
        self.migrate()
        raw: dict[str, str] = self.client.hgetall(self._keys[2])
        result: dict[GroupKey, int] = {}
        for field, size in raw.items():
            if int(size) > 0:
                result[parse_group_field(field)] = int(size)
        return result

    def size(self) -> int:
        self.migrate()
        return int(self.client.zcard(self.pending_key))

    def close(self) -> None:
        self.client.close()

    def _read(self, key: str, limit: int) -> list[QueueEntry]:
        if limit <= 0:
            return []
        self.migrate()
        bodies: list[str] = self._head(keys=[key, self._keys[1], self._keys[5]], args=[int(limit)])
        return [_decode(body) for body in bodies]


def _encode(entry: QueueEntry, field: str) -> str:
    # json writes floats with repr(), which reads back to the identical float.
    return json.dumps(
        {
            "id": str(entry.task_id),
            "c": entry.counter,
            "m": entry.machine,
            "p": entry.priority,
            "r": entry.ready_at,
            "s": entry.score,
            "n": entry.rank,
            "g": field,
            "mk": entry.machine_kind,
        },
        separators=(",", ":"),
    )


def _decode(body: str) -> QueueEntry:
    raw = json.loads(body)
    return QueueEntry(
        task_id=UUID(raw["id"]),
        counter=raw["c"],
        machine=raw["m"],
        priority=float(raw["p"]),
        ready_at=float(raw["r"]),
        score=float(raw["s"]),
        rank=raw["n"],
        machine_kind=raw.get("mk"),  # absent in entries written before pools
    )
