"""Property: whatever the order of confirms (with courses, holds and paces), fires, cancels,
starts and time passing, every order completes at most once, no completion is lost (an order
not cancelled completes once all its held courses are fired and its work is done) and no task
is counted twice."""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kangaroo_paw.domain.errors import InvalidTransition, NotHeld
from unit.application.kitchen_harness import Harness, build_harness

ITEMS = ["burger_combo", "wrap", "cold_coffee", "dip_cup"]

confirms = st.builds(
    lambda items, courses, hold, pace: ("confirm", items, courses, hold, pace),
    st.dictionaries(st.sampled_from(ITEMS), st.integers(1, 2), min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(ITEMS), st.integers(1, 3), max_size=3),
    st.one_of(st.none(), st.just(True), st.lists(st.integers(1, 3), max_size=2)),
    st.sampled_from(["asap", "together"]),
)
actions = st.one_of(
    confirms,
    st.tuples(st.just("fire"), st.integers(0, 5), st.one_of(st.none(), st.integers(1, 3))),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("start")),
    st.tuples(st.just("advance"), st.sampled_from([5, 30, 90, 200])),
)


def _confirm(
    kitchen: Any, n: int, items: dict[str, int], courses: Any, hold: Any, pace: str
) -> Any:
    courses = {k: c for k, c in courses.items() if k in items}
    present = {courses.get(k, 1) for k in items}
    if isinstance(hold, list):
        hold = [c for c in hold if c in present]
    order, _ = kitchen.confirm_order(items, f"p-{n}", courses=courses, hold=hold, pace=pace)
    return order.order_id


def _apply(kp: Harness, op: Any, orders: list[Any], cancelled: set[Any]) -> None:
    kitchen, kind = kp.kitchen, op[0]
    if kind == "confirm":
        orders.append(_confirm(kitchen, len(orders), *op[1:]))
    elif kind == "fire" and orders:
        with contextlib.suppress(NotHeld, InvalidTransition):
            kitchen.fire_order(orders[op[1] % len(orders)], op[2])
    elif kind == "cancel" and orders:
        order_id = orders[op[1] % len(orders)]
        with contextlib.suppress(InvalidTransition):  # completed already
            kitchen.cancel_order(order_id)
            cancelled.add(order_id)
    elif kind == "start":
        for task in kitchen.list_tasks("ASSIGNED"):
            kitchen.start_task(task.task_id)
    elif kind == "advance":
        kp.advance(op[1])
    kp.settle()


def _work_off(kp: Harness, orders: list[Any], cancelled: set[Any]) -> None:
    """Fire whatever is still held, then run everything to its end."""
    kitchen = kp.kitchen
    for order_id in orders:
        if order_id not in cancelled and kitchen.get_order(order_id).held_courses:
            kitchen.fire_order(order_id, None)
    for _ in range(60):
        assigned = kitchen.list_tasks("ASSIGNED")
        for task in assigned:
            kitchen.start_task(task.task_id)
        kp.advance(200)
        open_work = [kitchen.list_tasks(s) for s in ("ASSIGNED", "STARTED", "READY", "WAITING")]
        if not any(open_work):
            return


@pytest.mark.timeout(600)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=1, max_size=25))
def test_hold_fire_and_pacing_complete_every_order_exactly_once(ops: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kp = build_harness("popo", Path(tmp))
        try:
            orders: list[Any] = []
            cancelled: set[Any] = set()
            for op in ops:
                _apply(kp, op, orders, cancelled)
            _work_off(kp, orders, cancelled)
            events = kp.events()
            completions = Counter(
                e.aggregate_id
                for e in events
                if e.type == "ORDER_STATUS_CHANGED" and e.data["new_status"] == "COMPLETED"
            )
            counted = Counter(
                (e.aggregate_id, e.data["task_id"])
                for e in events
                if e.type == "ORDER_TASK_COMPLETED"
            )
            assert all(n == 1 for n in counted.values())  # no task counted twice
            for order_id in orders:
                view = kp.kitchen.get_order(order_id)
                if order_id in cancelled:
                    assert view.status == "CANCELLED"
                    assert completions[order_id] == 0
                else:
                    assert view.status == "COMPLETED", view
                    assert completions[order_id] == 1
                    assert view.held_courses == []
        finally:
            kp.close()
