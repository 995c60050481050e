"""The Order state machine: CONFIRMED → IN_PROGRESS → PART_COMPLETED → COMPLETED; CANCELLED."""

from __future__ import annotations

import uuid

import pytest
from domain_builders import at, make_order, replayed
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import InvalidTransition
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.domain.ticket import Ticket


def statuses(order: Order) -> list[str]:
    return [e.new_status for e in order.collect_events() if isinstance(e, Order.StatusChanged)]


def test_new_order_is_confirmed() -> None:
    tasks = [uuid.uuid4() for _ in range(3)]
    order = make_order(tasks)
    assert order.status == OrderStatus.CONFIRMED
    assert order.task_ids == tasks
    assert not order.is_final


def test_first_assignment_moves_it_in_progress_once() -> None:
    order = make_order([uuid.uuid4(), uuid.uuid4()])
    order.task_assigned(at(1))
    order.task_assigned(at(2))
    assert order.status == OrderStatus.IN_PROGRESS
    assert statuses(order) == ["IN_PROGRESS"]


def test_first_completion_moves_it_part_completed_and_the_last_completes_it() -> None:
    a, b, c = (uuid.uuid4() for _ in range(3))
    order = make_order([a, b, c])
    order.task_assigned(at(1))
    order.task_completed(b, at(10))
    assert order.status == OrderStatus.PART_COMPLETED
    order.task_completed(a, at(20))
    assert order.status == OrderStatus.PART_COMPLETED
    assert order.completed_at is None
    order.task_completed(c, at(30))
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at == at(30)
    assert order.is_final
    assert statuses(order) == ["IN_PROGRESS", "PART_COMPLETED", "COMPLETED"]


def test_single_task_order_goes_straight_to_completed() -> None:
    a = uuid.uuid4()
    order = make_order([a])
    order.task_assigned(at(1))
    order.task_completed(a, at(5))
    assert statuses(order) == ["IN_PROGRESS", "COMPLETED"]


def test_a_task_counts_once() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    order = make_order([a, b])
    order.task_completed(a, at(1))
    with pytest.raises(InvalidTransition, match="already counted"):
        order.task_completed(a, at(2))
    assert order.completed_task_ids == [a]


def test_a_stranger_task_does_not_count() -> None:
    order = make_order([uuid.uuid4()])
    with pytest.raises(InvalidTransition, match="not part of order"):
        order.task_completed(uuid.uuid4(), at(1))


@pytest.mark.parametrize("progress", [0, 1, 2])
def test_cancel_before_completion(progress: int) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    order = make_order([a, b])
    if progress >= 1:
        order.task_assigned(at(1))
    if progress >= 2:
        order.task_completed(a, at(2))
    order.cancel(at(3), "customer left")
    assert order.status == OrderStatus.CANCELLED
    assert order.cancelled_at == at(3)
    assert order.is_final
    cancelled = order.collect_events()[-1]
    assert isinstance(cancelled, Order.Cancelled)
    assert cancelled.reason == "customer left"


def test_cancel_a_completed_order_is_an_invalid_transition() -> None:
    a = uuid.uuid4()
    order = make_order([a])
    order.task_completed(a, at(1))
    with pytest.raises(InvalidTransition, match="COMPLETED and cannot be cancelled"):
        order.cancel(at(2))
    assert order.status == OrderStatus.COMPLETED


def test_cancel_twice_is_an_invalid_transition() -> None:
    order = make_order([uuid.uuid4()])
    order.cancel(at(1))
    with pytest.raises(InvalidTransition, match="already CANCELLED"):
        order.cancel(at(2))


def test_a_cancelled_order_takes_no_completion() -> None:
    a = uuid.uuid4()
    order = make_order([a])
    order.cancel(at(1))
    with pytest.raises(InvalidTransition, match="cancelled"):
        order.task_completed(a, at(2))


def test_same_request_compares_the_payload() -> None:
    ticket = Ticket(table="7", modifiers={"burger_combo": ["no onion"]})
    order = make_order([uuid.uuid4()], ticket)
    assert order.same_request({"burger_combo": 1}, "normal", ticket)
    assert not order.same_request({"burger_combo": 2}, "normal", ticket)
    assert not order.same_request({"burger_combo": 1}, "rush", ticket)
    assert not order.same_request({"burger_combo": 1}, "normal", Ticket(table="7"))
    assert not order.same_request(
        {"burger_combo": 1},
        "normal",
        Ticket(table="7", channel="takeaway", modifiers={"burger_combo": ["no onion"]}),
    )


@given(n=st.integers(1, 8), data=st.data())
def test_completed_exactly_when_every_task_is(n: int, data: st.DataObject) -> None:
    tasks = [uuid.uuid4() for _ in range(n)]
    order = make_order(tasks)
    order.task_assigned(at(0))
    for done, task_id in enumerate(data.draw(st.permutations(tasks)), start=1):
        order.task_completed(task_id, at(done))
        assert (order.status == OrderStatus.COMPLETED) == (done == n)
    assert replayed(order) == dict(vars(order))


def test_order_id_derives_from_the_external_id() -> None:
    assert ids.order_id("ext-1") == ids.order_id("ext-1")
    assert ids.order_id("ext-1") != ids.order_id("ext-2")
    order_id = ids.order_id("ext-1")
    assert ids.task_id(order_id, 0, 1, 1) != ids.task_id(order_id, 0, 2, 1)
    assert ids.staff_id(" Asha ") == ids.staff_id("asha")
