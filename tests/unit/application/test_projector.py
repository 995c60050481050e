"""The projector over in-memory ports and a POPO Kitchen: live equals rebuilt, replays are
harmless, a failing sink is retried without losing anything, passes take turns."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.feed import EventFeed
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.projector import Projector
from kangaroo_paw.ports.queue import QueueOp


@pytest.fixture
def kitchen() -> Iterator[Kitchen]:
    kitchen = Kitchen(
        clock=ManualClock(),
        queue=InMemoryReadyQueue(),
        read_model=InMemoryReadModel(),
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    seed_demo_kitchen(kitchen)
    yield kitchen
    kitchen.close()


def projector_of(kitchen: Kitchen, batch_size: int = 7) -> Projector:
    assert isinstance(kitchen.queue, InMemoryReadyQueue)
    assert isinstance(kitchen.read_model, InMemoryReadModel)
    return Projector(
        kitchen, queue=kitchen.queue, read_model=kitchen.read_model, batch_size=batch_size
    )


def state(projector: Projector) -> tuple[object, ...]:
    assert projector.queue is not None
    assert projector.read_model is not None
    return (
        projector.queue.top(10_000),
        projector.queue.groups(),
        projector.read_model.list_orders(None, 10_000, None),
        projector.read_model.list_tasks(None, None, None, 10_000),
    )


def work(kitchen: Kitchen, projector: Projector) -> None:
    """Confirm, allocate, start, complete, requeue and cancel, projecting as it goes."""
    clock = kitchen.clock
    assert isinstance(clock, ManualClock)
    orders = []
    for n in range(8):
        view, _ = kitchen.confirm_order({"burger_combo": 1, "dip_cup": 1}, f"o-{n}")
        orders.append(view.order_id)
        clock.advance(3)
        projector.drain()
        for i, a in enumerate(kitchen.allocate().assigned):
            task = kitchen.get_task(a.task_id)
            if i % 3 == 0:
                kitchen.requeue_stale(task.task_id, task.assignment_no)
            else:
                kitchen.start_task(a.task_id)
                clock.advance(10)
                kitchen.complete_task(a.task_id)
        if n % 3 == 2:
            kitchen.cancel_order(orders[n - 1])
    projector.drain()


def test_live_equals_rebuilt_and_equals_the_ready_tasks(kitchen: Kitchen) -> None:
    live = projector_of(kitchen)
    work(kitchen, live)
    assert live.position() == kitchen.head_position()
    before = state(live)
    ready = {t.task_id for t in kitchen.list_tasks("READY", limit=10_000)}
    assert {e.task_id for e in before[0]} == ready  # type: ignore[attr-defined]

    stages: list[str] = []
    events = live.rebuild(lambda stage, done, total: stages.append(stage))
    assert events == kitchen.head_position()
    assert state(live) == before
    assert live.position() == kitchen.head_position()
    assert stages[0] == "events"
    assert stages[-1] == "aggregates"


def test_replaying_everything_changes_nothing(kitchen: Kitchen) -> None:
    live = projector_of(kitchen)
    work(kitchen, live)
    before = state(live)
    log = kitchen.recorded(0, 100_000)
    for start in range(0, len(log), 5):  # the whole log again, batch by batch
        live._apply_queue(log[start : start + 5])
        live._apply_rows(log[start : start + 5])
    assert state(live) == before


def test_a_failing_sink_is_retried_and_loses_nothing(kitchen: Kitchen) -> None:
    live = projector_of(kitchen)
    queue = live.queue
    assert isinstance(queue, InMemoryReadyQueue)
    failures = {"left": 2}
    real_apply = queue.apply

    def flaky(ops: Sequence[QueueOp], position: int) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("redis went away")
        real_apply(ops, position)

    queue.apply = flaky  # type: ignore[method-assign]
    kitchen.confirm_order({"wrap": 2}, "flaky")
    stop = threading.Event()
    waits: list[float] = []

    def wait(timeout: float) -> None:
        waits.append(timeout)
        stop.set()  # one successful pass is enough

    thread = threading.Thread(target=live.follower.run, args=(stop, wait))
    original_wait = stop.wait
    stop.wait = lambda timeout=None: original_wait(0)  # type: ignore[method-assign]
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert failures["left"] == 0
    assert live.position() == kitchen.head_position()
    assert {e.task_id for e in queue.top(100)} == {
        t.task_id for t in kitchen.list_tasks("READY", limit=100)
    }


def test_a_pass_runs_only_in_its_turn(kitchen: Kitchen) -> None:
    live = projector_of(kitchen)
    kitchen.confirm_order({"wrap": 1}, "turns")
    mine = {"value": False}

    @contextmanager
    def turn() -> Iterator[bool]:
        yield mine["value"]

    stop = threading.Event()
    calls = {"n": 0}

    def wait(timeout: float) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            assert live.position() == 0  # not our turn: nothing projected
            mine["value"] = True
        else:
            stop.set()

    live.follower.run(stop, wait, turn)
    assert live.position() == kitchen.head_position()


def test_event_feed_publishes_new_events_only(kitchen: Kitchen) -> None:
    bus = InProcessEventBus()
    feed = EventFeed(kitchen, bus, poll_secs=0.05)
    feed.start()
    try:
        start = feed.position
        assert start == kitchen.head_position()
        sub = bus.subscribe()
        kitchen.confirm_order({"dip_cup": 1}, "feed")
        first = sub.get(timeout=5)
        assert first is not None
        assert first.notification_id == start + 1
        assert first.type == "ORDER_CONFIRMED"
    finally:
        feed.stop()
