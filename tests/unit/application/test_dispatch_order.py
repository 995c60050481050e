"""Order-age-first dispatch, as properties over random kitchens and random arrivals.

Each example builds a small kitchen (counters, machines, cooks with random skills, recipes of
random step chains), then plays random confirms (some rushed), rushes and un-rushes, time
passing, allocation passes, starts and completions. Around every pass it checks, against the
aggregates' own state:

- **never passed over**: in one (counter, machine) group, a pass assigns a prefix of the
  group's ready tasks in dispatch order, so a ready task is never left for a task of a newer
  order, unless that order is rushed (the rush credit is in the key);
- **bounded wait**: a task assigned in a group while another waited there belongs to an order
  confirmed before ``waiting.score + KP_RUSH_CREDIT_SECS`` (score = its order's confirm time
  minus its credit). Orders confirmed later can never go ahead of it, so once the clock passes
  that instant, the task waits for at most the finitely many tasks already ahead of it;
- **one order everywhere**: the live in-memory queue, a queue rebuilt from the log and (in
  the Redis test) a Redis queue fed the same log hold the same entries in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.application.following import LogFollower
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.application.projection import Projections
from kangaroo_paw.domain.recipes import RecipeStep
from kangaroo_paw.domain.task import Task, TaskStatus
from kangaroo_paw.ports.queue import QueueEntry

CREDIT = 120.0


@dataclass
class World:
    """A kitchen wired like the simulator's: the queue follows the log on demand."""

    kitchen: Kitchen
    clock: ManualClock
    follower: LogFollower
    orders: list[UUID] = field(default_factory=list)
    confirmed_at: dict[UUID, datetime] = field(default_factory=dict)
    waiting_since: dict[UUID, int] = field(default_factory=dict)  # task -> pass it was ready at
    assigned_in: dict[int, list[Task]] = field(default_factory=dict)  # pass -> tasks assigned
    passes: int = 0


def build(data: st.DataObject) -> World:
    clock = ManualClock()
    queue = InMemoryReadyQueue()
    kitchen = Kitchen(
        policy=Policy(rush_credit_secs=CREDIT, promise_on_confirm=False),
        clock=clock,
        queue=queue,
        read_model=InMemoryReadModel(),
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    counters = [f"c{n}" for n in range(data.draw(st.integers(1, 3), label="counters"))]
    machines: dict[str, str | None] = {}
    for name in counters:
        kitchen.add_counter(name, data.draw(st.integers(1, 3), label=f"{name} capacity"))
        if data.draw(st.booleans(), label=f"{name} has a machine"):
            machines[name] = f"{name}-m"
            kitchen.add_machine(f"{name}-m", name, data.draw(st.integers(1, 2)))
        else:
            machines[name] = None
    for n in range(data.draw(st.integers(1, 3), label="cooks")):
        skills = data.draw(st.lists(st.sampled_from(counters), min_size=1, unique=True))
        kitchen.hire_staff(f"cook{n}", skills, data.draw(st.integers(1, 2)))
    for r in range(data.draw(st.integers(1, 3), label="recipes")):
        chain = data.draw(st.lists(st.sampled_from(counters), min_size=1, max_size=3))
        steps = [
            RecipeStep(n + 1, f"step {n + 1}", c, machines[c], data.draw(st.integers(5, 90)), 0)
            for n, c in enumerate(chain)
        ]
        deps = [(n + 1, n) for n in range(1, len(chain))]
        kitchen.define_recipe(f"item{r}", steps, deps)
    follower = LogFollower(kitchen)
    projections = Projections(kitchen)
    follower.before_batch(projections.forget)
    follower.add_sink("queue", queue.position, partial(projections.apply_to_queue, queue))
    follower.catch_up()
    return World(kitchen, clock, follower)


def ready_tasks(world: World) -> list[Task]:
    tasks = [world.kitchen.task(t) for o in world.orders for t in world.kitchen.order(o).task_ids]
    return [t for t in tasks if t.is_ready]


def allocate_and_check(world: World) -> None:
    world.follower.catch_up()
    before = {t.id: t for t in ready_tasks(world)}
    for task_id in before:
        world.waiting_since.setdefault(task_id, world.passes)
    result = world.kitchen.allocate()
    world.follower.catch_up()
    assigned = {a.task_id for a in result.assigned}
    world.assigned_in[world.passes] = [before[t] for t in assigned]
    groups: dict[tuple[str, str | None], list[Task]] = {}
    for task in before.values():
        groups.setdefault((task.counter, task.machine), []).append(task)
    for members in groups.values():
        ordered = sorted(members, key=lambda t: t.dispatch_key)
        picked = [t.id in assigned for t in ordered]
        # A prefix: once one task of the group is left, nothing behind it was taken.
        assert picked == sorted(picked, reverse=True), "a ready task was passed over"
    for task_id in assigned:
        world.waiting_since.pop(task_id, None)
    check_bounded_wait(world, before, assigned)
    world.passes += 1


def check_bounded_wait(world: World, before: dict[UUID, Task], assigned: set[UUID]) -> None:
    taken = [before[t] for t in assigned]
    for task in before.values():
        if task.id in assigned:
            continue
        limit = task.dispatch_key[0] + CREDIT
        for other in taken:
            if (other.counter, other.machine) != (task.counter, task.machine):
                continue
            confirmed = world.confirmed_at[other.order_id].timestamp()
            assert confirmed < limit or confirmed == pytest.approx(limit), (
                "an order confirmed after the waiting task's bound went ahead of it"
            )


def run_step(world: World, data: st.DataObject, step: str) -> None:
    kitchen = world.kitchen
    if step == "confirm":
        items = {f"item{data.draw(st.integers(0, 2))}": data.draw(st.integers(1, 2))}
        items = {
            k: v for k, v in items.items() if k in {r.item_key for r in kitchen.list_recipes()}
        }
        if not items:
            return
        rush = data.draw(st.booleans())
        order, _ = kitchen.confirm_order(items, None, "rush" if rush else "normal")
        world.orders.append(order.order_id)
        world.confirmed_at[order.order_id] = order.created_at
    elif step == "rush" and world.orders:
        order_id = data.draw(st.sampled_from(world.orders))
        if not kitchen.order(order_id).is_final:
            kitchen.rush_order(order_id, data.draw(st.booleans()))
    elif step == "tick":
        world.clock.advance(data.draw(st.sampled_from([0.5, 5.0, 30.0, 200.0])))
    elif step == "allocate":
        allocate_and_check(world)
    elif step == "work":
        tasks = [kitchen.task(t) for o in world.orders for t in kitchen.order(o).task_ids]
        for task in tasks:
            if task.status == TaskStatus.ASSIGNED and data.draw(st.booleans()):
                kitchen.start_task(task.id)
            elif task.status == TaskStatus.STARTED and data.draw(st.booleans()):
                kitchen.complete_task(task.id)


STEPS = st.lists(
    st.sampled_from(["confirm", "confirm", "rush", "tick", "allocate", "work", "work"]),
    min_size=5,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=STEPS)
def test_dispatch_is_order_age_first_with_rush_credit(
    data: st.DataObject, steps: list[str]
) -> None:
    world = build(data)
    for step in steps:
        run_step(world, data, step)
    allocate_and_check(world)
    assert_queue_equals_rebuild(world)


def assert_queue_equals_rebuild(world: World) -> list[QueueEntry]:
    """The live queue equals one rebuilt from the whole log, and every entry's key is the
    task's own dispatch key."""
    world.follower.catch_up()
    live = world.kitchen.queue.top(1_000_000)
    rebuilt = InMemoryReadyQueue()
    Projections(world.kitchen).apply_to_queue(rebuilt, world.kitchen.recorded(0, 1_000_000))
    assert rebuilt.top(1_000_000) == live
    for entry in live:
        assert entry.key == world.kitchen.task(entry.task_id).dispatch_key
    assert {e.task_id for e in live} == {t.id for t in ready_tasks(world)}
    return live
