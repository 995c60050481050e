"""Helpers of the projector tests: a Kitchen on PostgreSQL in a schema of its own, a Redis
prefix of its own, and a deterministic workload (confirm, allocate, start, complete, requeue,
cancel)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.redis.queue import RedisReadyQueue, connect
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition import policy_from
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.ports.queue import QueueEntry, ReadyQueue
from kangaroo_paw.ports.read_model import OrderRow, ReadModel, TaskRow
from kangaroo_paw.settings import Settings

ITEMS = ("burger_combo", "wrap", "cold_coffee", "dip_cup")


def unique_settings(**overrides: Any) -> Settings:
    """Settings with a schema and a Redis prefix nobody else uses."""
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "postgres_schema": f"kp_t_{tag}",
        "redis_prefix": f"kp-test-{tag}:",
        "relay_poll_secs": 0.2,
        "postgres_pool_size": 2,
    }
    values.update(overrides)
    return Settings.from_env(**values)


def migrated(settings: Settings) -> Settings:
    from kangaroo_paw.adapters.postgres.migrate import migrate

    migrate(settings)
    return settings


def drop(settings: Settings) -> None:
    from kangaroo_paw.adapters.postgres.migrate import drop_schema

    drop_schema(settings)
    client = connect(settings.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{settings.redis_prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def redis_queue(settings: Settings) -> RedisReadyQueue:
    return RedisReadyQueue(connect(settings.redis_url), settings.redis_prefix)


def sql_read_model(settings: Settings) -> Any:
    from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel

    return PostgresReadModel.from_settings(settings)


def postgres_kitchen(settings: Settings, queue: ReadyQueue, read_model: ReadModel) -> Kitchen:
    from kangaroo_paw.adapters.postgres.connection import eventsourcing_env

    return Kitchen(
        policy=policy_from(settings),
        clock=SystemClock(),
        queue=queue,
        read_model=read_model,
        env=eventsourcing_env(settings),
        snapshot_every=settings.snapshot_every,
    )


@dataclass
class Workload:
    """Drives a kitchen through every kind of change a projection sees."""

    kitchen: Kitchen
    caught_up: Callable[[], object]
    seed: int = 7
    order_ids: list[UUID] = field(default_factory=list)
    started: set[UUID] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def run(self, orders: int) -> Workload:
        rng = random.Random(self.seed + len(self.order_ids))
        tag = uuid.uuid4().hex[:8]
        for i in range(orders):
            items = {rng.choice(ITEMS): rng.randint(1, 2) for _ in range(rng.randint(1, 2))}
            priority = "rush" if rng.random() < 0.2 else "normal"
            view, _ = self.kitchen.confirm_order(items, f"wl-{tag}-{i}", priority)
            self.order_ids.append(view.order_id)
            self._count("confirmed")
            if i % 2 == 1:
                self._allocate_and_work(rng)
            if i % 7 == 6:
                self._cancel_one(rng)
        self._allocate_and_work(rng)
        return self

    def _allocate_and_work(self, rng: random.Random) -> None:
        self.caught_up()  # the allocator reads the ready queue: let the projector catch up
        for assignment in self.kitchen.allocate().assigned:
            self._count("assigned")
            roll = rng.random()
            if roll < 0.15:
                task = self.kitchen.get_task(assignment.task_id)
                if self.kitchen.requeue_stale(task.task_id, task.assignment_no):
                    self._count("requeued")
            elif roll < 0.85:
                self.kitchen.start_task(assignment.task_id)
                self.started.add(assignment.task_id)
                self._count("started")
        for task_id in sorted(self.started, key=str):
            if rng.random() < 0.7:
                try:
                    self.kitchen.complete_task(task_id)
                    self._count("completed")
                except KitchenError:
                    pass  # cancelled meanwhile
                self.started.discard(task_id)

    def _cancel_one(self, rng: random.Random) -> None:
        order_id = rng.choice(self.order_ids)
        try:
            self.kitchen.cancel_order(order_id, "workload")
            self._count("cancelled")
        except KitchenError:
            pass  # already completed or cancelled

    def ready_task_ids(self) -> set[UUID]:
        """The truth the queue must equal: every ready task of every order."""
        return {
            t
            for order_id in self.order_ids
            for t in self.kitchen.get_order(order_id).ready_task_ids
        }


def queue_snapshot(queue: ReadyQueue) -> list[QueueEntry]:
    return queue.top(1_000_000)


def rows_snapshot(read_model: ReadModel) -> tuple[list[OrderRow], list[TaskRow]]:
    orders = read_model.list_orders(None, 1_000_000, None)
    tasks = read_model.list_tasks(None, None, None, 1_000_000)
    return orders, tasks


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``kangaroo-paw`` child process for ``settings``."""
    import os

    env = dict(os.environ)
    env.update(
        {
            "KP_DATABASE_URL": settings.database_url,
            "KP_POSTGRES_SCHEMA": settings.postgres_schema,
            "KP_REDIS_URL": settings.redis_url,
            "KP_REDIS_PREFIX": settings.redis_prefix,
            "KP_RELAY_POLL_SECS": str(settings.relay_poll_secs),
            "KP_RELAY_BATCH_SIZE": str(settings.relay_batch_size),
            "KP_POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        }
    )
    env.update(extra)
    return env


def truth(kitchen: Kitchen) -> tuple[list[QueueEntry], tuple[list[OrderRow], list[TaskRow]]]:
    """Queue entries and rows rebuilt into the in-memory twins: what the sinks must hold."""
    from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
    from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
    from kangaroo_paw.application.projector import Projector

    queue, rows = InMemoryReadyQueue(), InMemoryReadModel()
    Projector(kitchen, queue=queue, read_model=rows).rebuild()
    return queue_snapshot(queue), rows_snapshot(rows)
