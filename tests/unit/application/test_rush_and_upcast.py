"""Rushing an open order re-keys its tasks; events stored before order-age-first still load."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from kangaroo_paw.domain.errors import InvalidOrder, InvalidTransition
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.scoring import DEFAULT_RUSH_CREDIT_SECS
from kangaroo_paw.domain.task import Task
from unit.application.kitchen_harness import Harness, build_harness

BURGER = {"burger_combo": 1}


@pytest.fixture
def kp(tmp_path: Path) -> Harness:
    return build_harness("popo", tmp_path)


def test_rush_moves_an_open_order_ahead_and_unrush_puts_it_back(kp: Harness) -> None:
    for name in ("Ravi", "Noah"):
        kp.kitchen.set_break(kp.staff(name).staff_id, True)
    first = kp.confirm({"dip_cup": 1}, "first")
    kp.clock.advance(60)
    second = kp.confirm({"dip_cup": 1}, "second")
    kp.drain()
    queued = [e.task_id for e in kp.kitchen.queue.top(5)]
    assert queued == [first.tasks[0].task_id, second.tasks[0].task_id]

    view = kp.kitchen.rush_order(second.order_id)
    kp.drain()
    assert (view.priority, view.rush_credit_secs) == ("rush", DEFAULT_RUSH_CREDIT_SECS)
    assert [e.task_id for e in kp.kitchen.queue.top(5)] == [
        second.tasks[0].task_id,
        first.tasks[0].task_id,
    ]
    types = [e.type for e in kp.events()]
    assert types.count("ORDER_REPRIORITISED") == 1
    assert types.count("TASK_REPRIORITISED") == 1

    kp.kitchen.rush_order(second.order_id, rush=False)
    kp.drain()
    assert [e.task_id for e in kp.kitchen.queue.top(5)] == queued
    assert kp.order(second.order_id).priority == "normal"


def test_rushing_twice_records_nothing_new(kp: Harness) -> None:
    order = kp.confirm(BURGER, "twice")
    kp.kitchen.rush_order(order.order_id)
    count = len(kp.events())
    kp.kitchen.rush_order(order.order_id)
    assert len(kp.events()) == count


def test_a_completed_or_cancelled_order_cannot_be_rushed(kp: Harness) -> None:
    order = kp.confirm(BURGER, "done")
    kp.kitchen.cancel_order(order.order_id)
    count = len(kp.events())
    with pytest.raises(InvalidTransition, match="CANCELLED"):
        kp.kitchen.rush_order(order.order_id)
    assert len(kp.events()) == count


def test_a_retried_confirm_after_a_rush_is_still_the_same_order(kp: Harness) -> None:
    order = kp.confirm(BURGER, "retry")
    kp.kitchen.rush_order(order.order_id)
    again, created = kp.kitchen.confirm_order(BURGER, "retry")
    assert not created
    assert again.order_id == order.order_id
    assert again.priority == "rush"


def test_rush_keeps_started_tasks_untouched_and_rekeys_the_waiting_ones(kp: Harness) -> None:
    order = kp.confirm(BURGER, "partly")
    kp.settle()
    patty = kp.tasks(order.order_id)[0]
    kp.kitchen.start_task(patty.task_id)
    kp.kitchen.rush_order(order.order_id)
    tasks = {t.task_id: t for t in kp.tasks(order.order_id)}
    assemble = kp.tasks(order.order_id)[3]
    assert assemble.status == "UNASSIGNED"
    assert assemble.rush_credit_secs == DEFAULT_RUSH_CREDIT_SECS
    assert tasks[patty.task_id].status == "STARTED"


def test_the_promise_is_recorded_and_late_follows_the_clock(kp: Harness) -> None:
    order = kp.confirm({"dip_cup": 1}, "promise")
    assert order.promised_ready_at is not None
    assert order.promised_secs is not None
    assert order.promised_secs >= 12
    assert not order.late
    kp.clock.advance(order.promised_secs + 1)
    assert kp.order(order.order_id).late
    confirmed = next(e for e in kp.events() if e.type == "ORDER_CONFIRMED")
    assert confirmed.data["promised_ready_at"] is not None


# -- events stored by the first version --------------------------------------------------------


def _as_v1(stored: StoredEvent, drop: tuple[str, ...]) -> StoredEvent:
    state = json.loads(stored.state)
    for key in (*drop, "class_version"):
        state.pop(key, None)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )


def test_task_and_order_created_v1_events_are_upcast(kp: Harness) -> None:
    order = kp.confirm(BURGER, "old", "rush")
    mapper = kp.kitchen.mapper
    recorded = kp.kitchen.recorder.select_events(order.tasks[0].task_id)
    created = _as_v1(recorded[0], ("tail_secs", "rush_credit_secs"))
    assert b"tail_secs" not in created.state
    event = mapper.to_domain_event(created)
    assert isinstance(event, Task.Created)
    assert event.tail_secs == event.estimate_secs  # unknown path: its own estimate
    assert event.rush_credit_secs == DEFAULT_RUSH_CREDIT_SECS  # it was a rush (boost > 0)

    order_events = kp.kitchen.recorder.select_events(order.order_id)
    old_order = _as_v1(order_events[0], ("rush_credit_secs", "promised_ready_at"))
    upcast = mapper.to_domain_event(old_order)
    assert isinstance(upcast, Order.Created)
    assert upcast.promised_ready_at is None
    assert upcast.rush_credit_secs == DEFAULT_RUSH_CREDIT_SECS
    rebuilt = upcast.mutate(None)
    assert rebuilt is not None
    assert rebuilt.is_late(rebuilt.created_at + timedelta(days=1)) is False


def test_orders_confirmed_moments_apart_queue_shortest_first_and_v3_tasks_keep_their_key(
    kp: Harness,
) -> None:
    """A dip cup confirmed a moment after a burger combo is queued first: its critical path is
    shorter, and the order's path weighs more than the moment. A Task.Created stored before
    the order's path was recorded (class version 3) loads with a path of 0, i.e. the key it
    was queued with then."""
    for name in ("Ravi", "Noah", "Asha"):
        kp.kitchen.set_break(kp.staff(name).staff_id, True)
    burger = kp.confirm(BURGER, "long")
    kp.clock.advance(0.05)  # less than 0.001 x the difference of the critical paths
    dip = kp.confirm({"dip_cup": 1}, "short")
    kp.drain()
    order_of = {t.task_id: o.order_id for o in (burger, dip) for t in o.tasks}
    queued = [order_of[e.task_id] for e in kp.kitchen.queue.top(10)]
    assert queued[0] == dip.order_id
    assert set(queued[1:]) == {burger.order_id}

    stored = kp.kitchen.recorder.select_events(burger.tasks[0].task_id)[0]
    state = json.loads(stored.state)
    assert state["order_path_secs"] > 0
    del state["order_path_secs"]
    state["class_version"] = 3
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    event = kp.kitchen.mapper.to_domain_event(old)
    assert isinstance(event, Task.Created)
    assert event.order_path_secs == 0.0
    task = event.mutate(None)
    assert task is not None
    assert task.dispatch_key[0] == task.created_at.timestamp() - task.rush_credit_secs


def test_an_order_snapshot_of_the_first_version_is_upcast() -> None:
    state = {"priority": "normal"}
    Order.upcast_v1_v2(state)
    assert state == {
        "priority": "normal",
        "rush_credit_secs": 0.0,
        "promised_ready_at": None,
        "confirmed_priority": "normal",
    }


def test_without_the_promise_an_order_has_none_and_is_never_late(tmp_path: Path) -> None:
    kp = build_harness("popo", tmp_path, promise_on_confirm=False)
    order = kp.confirm({"dip_cup": 1}, "no-promise")
    assert (order.promised_ready_at, order.promised_secs, order.late) == (None, None, False)
    kp.clock.advance(10_000)
    assert kp.order(order.order_id).late is False


def test_staff_and_station_snapshots_of_the_first_version_are_upcast(kp: Harness) -> None:
    from kangaroo_paw.domain.staff import Staff
    from kangaroo_paw.domain.station import Station

    # Snapshots taken before break and outage times were kept: a cook on break and a
    # machine down come back with an unknown start (the forecast then counts from now).
    for cls, attribute in ((Staff, "break_started_at"), (Station, "down_since")):
        state: dict[str, object] = {"name": "x"}
        cls.upcast_v1_v2(state)
        assert state == {"name": "x", attribute: None}
    asha = kp.staff("Asha").staff_id
    kp.kitchen.set_break(asha, True)
    cook = kp.kitchen.repository.get(asha)
    assert cook.break_started_at == kp.clock.now()
    kp.kitchen.set_break(asha, False)
    assert kp.kitchen.repository.get(asha).break_started_at is None
    kp.kitchen.set_machine_up("fryer-1", False)
    assert kp.kitchen.station("fryer-1").down_since == kp.clock.now()


@pytest.mark.parametrize("external", ["   ", "x" * 129])
def test_a_quote_checks_the_external_id_as_confirm_does(kp: Harness, external: str) -> None:
    count = len(kp.events())
    for call in (
        lambda: kp.kitchen.quote_order({"dip_cup": 1}, "normal", external),
        lambda: kp.kitchen.confirm_order({"dip_cup": 1}, external),
    ):
        with pytest.raises(InvalidOrder, match="external_order_id"):
            call()
    assert len(kp.events()) == count
