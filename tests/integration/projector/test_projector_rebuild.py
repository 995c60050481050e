"""Projections built live during a workload equal the ones rebuilt from the event store."""

from __future__ import annotations

import threading
import time

import pytest

from integration.projector.projector_support import (
    Workload,
    postgres_kitchen,
    queue_snapshot,
    redis_queue,
    rows_snapshot,
    sql_read_model,
)
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.projector import Projector
from kangaroo_paw.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def wait_caught_up(projector: Projector, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    head = projector.kitchen.head_position()
    while projector.position() < head:
        if time.monotonic() > deadline:
            raise AssertionError(f"projector stuck at {projector.status()}")
        time.sleep(0.02)


def test_live_projections_equal_a_rebuild_from_scratch(
    services_settings: Settings, fresh_target: Settings
) -> None:
    live_queue = redis_queue(services_settings)
    live_rows = sql_read_model(services_settings)
    kitchen = postgres_kitchen(services_settings, live_queue, live_rows)
    seed_demo_kitchen(kitchen)
    # The projector runs in its own thread with its own Kitchen, as in its own process.
    projector_kitchen = postgres_kitchen(services_settings, live_queue, live_rows)
    live = Projector(projector_kitchen, queue=live_queue, read_model=live_rows, poll_secs=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=live.follower.run, args=(stop,), daemon=True)
    thread.start()
    try:
        workload = Workload(kitchen, lambda: wait_caught_up(live)).run(orders=24)
        wait_caught_up(live)
    finally:
        stop.set()
        thread.join(10)
    assert {"confirmed", "assigned", "started", "completed", "cancelled", "requeued"} <= set(
        workload.counts
    ), workload.counts

    queue_live, rows_live = queue_snapshot(live_queue), rows_snapshot(live_rows)
    assert {e.task_id for e in queue_live} == workload.ready_task_ids()
    assert len(rows_live[0]) == len(workload.order_ids)

    # Rebuild into a fresh prefix and schema, reading the same event store.
    target_queue = redis_queue(fresh_target)
    target_rows = sql_read_model(fresh_target)
    rebuilt = Projector(projector_kitchen, queue=target_queue, read_model=target_rows)
    events = rebuilt.rebuild()
    assert 0 < events <= kitchen.head_position()
    assert queue_snapshot(target_queue) == queue_live
    assert target_queue.groups() == live_queue.groups()
    assert rows_snapshot(target_rows) == rows_live
    assert target_queue.position() == target_rows.position() == live_queue.position()

    # The embedded twins, fed from the same log, agree too.
    memory_queue, memory_rows = InMemoryReadyQueue(), InMemoryReadModel()
    Projector(projector_kitchen, queue=memory_queue, read_model=memory_rows).rebuild()
    assert queue_snapshot(memory_queue) == queue_live
    assert rows_snapshot(memory_rows) == rows_live

    # Redis flushed (every key of the prefix gone): a rebuild restores the exact queue.
    drop_keys = list(live_queue.client.scan_iter(match=f"{services_settings.redis_prefix}*"))
    live_queue.client.delete(*drop_keys)
    assert live_queue.size() == 0
    assert live_queue.position() == 0
    Projector(projector_kitchen, queue=live_queue).rebuild()
    assert queue_snapshot(live_queue) == queue_live
    assert live_queue.groups() == target_queue.groups()

    # And an allocation pass on the rebuilt queue works.
    assert kitchen.allocate().attempts >= 1
    for k in (kitchen, projector_kitchen):
        k.close()
    live_rows.close()
    target_rows.close()
