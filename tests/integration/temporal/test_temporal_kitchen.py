"""The Kitchen driven by Temporal: an embedded (POPO) kitchen whose follower reacts through
``TemporalScheduler``, with the worker's activities calling that same kitchen. Cooks start
what is assigned; the timers complete it, or requeue what nobody started."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from uuid import UUID

import pytest
from temporalio.service import RPCError

from integration.temporal.temporal_support import TemporalHarness, wait_for
from kangaroo_paw.adapters.temporal.activities import queue_catch_up
from kangaroo_paw.adapters.temporal.common import (
    allocation_workflow_id,
    timer_shard_workflow_id,
)
from kangaroo_paw.application.demo_kitchen import RECIPES, recipe_steps
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.runtime import EmbeddedRuntime
from kangaroo_paw.composition import build_embedded
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.temporal


@dataclasses.dataclass
class Stack:
    kitchen: Kitchen
    runtime: EmbeddedRuntime


def shorten_recipes(kitchen: Kitchen, secs: float) -> None:
    for item_key, (_, deps) in RECIPES.items():
        steps = [dataclasses.replace(s, estimate_secs=secs) for s in recipe_steps(item_key)]
        kitchen.define_recipe(item_key, steps, deps)


def build_stack(temporal: TemporalHarness, ttl: float) -> Stack:
    embedded = build_embedded(
        Settings(assignment_ttl_secs=ttl, kitchen=temporal.kitchen, store="memory")
    )
    kitchen = embedded.kitchen
    shorten_recipes(kitchen, 1.0)
    runtime = EmbeddedRuntime(
        kitchen,
        embedded.queue,
        embedded.read_model,
        embedded.bus,
        temporal.scheduler(),
        poll_secs=0.05,
    )
    temporal.start_worker(kitchen, queue_catch_up(kitchen))
    runtime.start()
    return Stack(kitchen, runtime)


@pytest.fixture
def stack(temporal: TemporalHarness) -> Iterator[Stack]:
    stack = build_stack(temporal, ttl=45)
    yield stack
    stack.runtime.stop()
    stack.kitchen.close()


def fired_timers(temporal: TemporalHarness) -> set[str]:
    """The timer ids the kitchen's shard workflows fired (the scheduler's default shards)."""
    fired: set[str] = set()
    for shard in range(Settings().temporal_timer_shards):
        handle = temporal.client.get_workflow_handle(
            timer_shard_workflow_id(temporal.kitchen, shard)
        )
        with contextlib.suppress(RPCError):  # a shard no timer went to was never started
            fired |= set(temporal.run(handle.query("status"))["fired"])
    return fired


def statuses(kitchen: Kitchen, order_ids: list[UUID]) -> list[str]:
    return [kitchen.get_order(o).status for o in order_ids]


def test_orders_complete_through_temporal(stack: Stack, temporal: TemporalHarness) -> None:
    kitchen = stack.kitchen
    orders = [
        kitchen.confirm_order({"burger_combo": 1, "dip_cup": 1}, f"t-{temporal.kitchen}-{n}")[0]
        for n in range(3)
    ]
    order_ids = [o.order_id for o in orders]
    started: set[UUID] = set()
    deadline = time.monotonic() + 60
    while set(statuses(kitchen, order_ids)) != {"COMPLETED"}:
        assert time.monotonic() < deadline, statuses(kitchen, order_ids)
        for task in kitchen.list_tasks(status="ASSIGNED"):
            if task.task_id not in started:
                kitchen.start_task(task.task_id)
                started.add(task.task_id)
        time.sleep(0.1)
    tasks = [t for o in order_ids for t in kitchen.get_order(o).tasks]
    assert {t.status for t in tasks} == {"COMPLETED"}
    # Completed by the timers (nobody completed by hand), each on time.
    for task in tasks:
        view = kitchen.get_task(task.task_id)
        assert view.started_at is not None
        assert view.completed_at is not None
        lateness = (view.completed_at - view.started_at).total_seconds() - view.estimate_secs
        assert 0 <= lateness < 5
    assert temporal.status(allocation_workflow_id(temporal.kitchen)) is not None
    assert fired_timers(temporal) >= {f"complete-{task.task_id}-1" for task in tasks}


def test_a_task_nobody_starts_is_requeued_by_its_timeout(temporal: TemporalHarness) -> None:
    stack = build_stack(temporal, ttl=1.5)
    try:
        kitchen = stack.kitchen
        order, _ = kitchen.confirm_order({"dip_cup": 1}, f"stale-{temporal.kitchen}")
        task_id = order.tasks[0].task_id
        wait_for(lambda: kitchen.get_task(task_id).requeue_count >= 1, 20, "a requeue")
        # Requeued with the boost, then assigned again by the pass the requeue triggered.
        requeues = [
            e
            for e in kitchen.event_log(0, 10_000)
            if e.type == "TASK_REQUEUED" and e.task_id == task_id
        ]
        assert requeues[0].data["boost"] == kitchen.policy.requeue_boost
        assert requeues[0].data["assignment_no"] == 1
        wait_for(lambda: kitchen.get_task(task_id).assignment_no >= 2, 20, "a reassignment")
        assert f"timeout-{task_id}-1" in fired_timers(temporal)
    finally:
        stack.runtime.stop()
        stack.kitchen.close()
