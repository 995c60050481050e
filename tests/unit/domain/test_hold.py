"""Hold and fire in the domain: the course plan, firing, planned releases, the v2→v3 snapshot
upcast, and a held task never becoming ready."""

from __future__ import annotations

from typing import Any

import pytest
from domain_builders import at, make_order, make_task

from kangaroo_paw.domain.errors import InvalidOrder, InvalidTransition, NotHeld
from kangaroo_paw.domain.order import Order, check_courses
from kangaroo_paw.domain.ticket import Ticket


def test_check_courses_defaults_and_holds() -> None:
    items = {"a": 1, "b": 2}
    assert check_courses(items, None, None) == ({"a": 1, "b": 1}, [])
    assert check_courses(items, {"b": 3}, True) == ({"a": 1, "b": 3}, [1, 3])
    assert check_courses(items, {"b": 3}, [3, 3]) == ({"a": 1, "b": 3}, [3])


@pytest.mark.parametrize(
    ("courses", "hold"),
    [({"c": 2}, None), ({"a": 0}, None), ({"a": 10}, None), ({"a": True}, None), (None, [2])],
)
def test_check_courses_refuses(courses: dict[str, Any] | None, hold: list[int] | None) -> None:
    with pytest.raises(InvalidOrder):
        check_courses({"a": 1, "b": 1}, courses, hold)


def test_default_plan_records_nothing() -> None:
    order = make_order([])
    order.collect_events()
    order.plan_courses({"burger_combo": 1}, [], "asap")
    assert order.collect_events() == []
    assert order.same_request({"burger_combo": 1}, "normal", Ticket())
    assert not order.same_request({"burger_combo": 1}, "normal", Ticket(), pace="together")


def test_fire_takes_a_course_off_hold_once() -> None:
    order = make_order([])
    order.plan_courses({"burger_combo": 2}, [2], "asap")
    assert order.held_items == ["burger_combo"]
    with pytest.raises(NotHeld):
        order.fire(1, at(1))
    assert order.fire(None, at(1)) == [2]
    assert order.held_courses == []
    assert order.confirmed_held == [2]
    with pytest.raises(NotHeld):
        order.fire(2, at(2))


def test_a_final_order_cannot_be_fired() -> None:
    order = make_order([])
    order.plan_courses({"burger_combo": 1}, [1], "asap")
    order.cancel(at(1))
    with pytest.raises(InvalidTransition):
        order.fire(1, at(2))


def test_planned_releases_come_due_and_go() -> None:
    order = make_order([])
    order.plan_releases({"burger_combo": at(10)})
    assert order.due_releases(at(9)) == []
    assert order.due_releases(at(10)) == ["burger_combo"]
    order.release_items(["burger_combo"], at(10))
    assert order.due_releases(at(99)) == []


def test_a_held_task_is_not_ready_until_fired_and_released() -> None:
    task = make_task(ready=False)
    task.hold(2)
    assert task.held
    assert not task.is_ready
    with pytest.raises(InvalidTransition):
        task.mark_ready(at(1))
    with pytest.raises(InvalidTransition):
        task.hold(2)
    task.fire(at(2))
    assert not task.held
    assert not task.is_ready
    task.mark_ready(at(2))
    assert task.is_ready
    with pytest.raises(InvalidTransition):
        task.fire(at(3))


def test_a_v2_order_snapshot_upcasts_to_one_course_nothing_held_asap() -> None:
    state: dict[str, Any] = {"items": {"a": 1, "b": 2}, "priority": "normal"}
    Order.upcast_v2_v3(state)
    assert state["courses"] == {"a": 1, "b": 1}
    assert state["held_courses"] == []
    assert state["confirmed_held"] == []
    assert state["pace"] == "asap"
    assert state["pending_releases"] == {}
    assert Order.class_version == 3
