"""Domain rules of recall, re-fire and void on the Task and Order aggregates alone."""

from __future__ import annotations

import uuid

import pytest
from domain_builders import at, make_order, make_task

from kangaroo_paw.domain.errors import (
    InvalidTransition,
    LineAlreadyVoided,
    LineNotFound,
    RecallWindowPassed,
    TaskVoided,
)
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.domain.task import Task, TaskStatus
from kangaroo_paw.domain.ticket import Ticket


def two_line_order(task_ids: list[uuid.UUID]) -> Order:
    return Order(
        id=uuid.uuid4(),
        external_order_id="ext-2",
        items={"burger_combo": 1, "dip_cup": 1},
        priority="normal",
        task_ids=task_ids,
        confirmed_at=at(0),
        rush_credit_secs=0.0,
        promised_ready_at=None,
        **Ticket().fields(),
    )


def completed_task(done_at: float = 10.0) -> Task:
    task = make_task(estimate_secs=80.0)
    task.assign(uuid.uuid4(), "Asha", at(1))
    task.start(at(2))
    task.complete(at(done_at))
    return task


def test_recall_is_possible_up_to_the_window_and_not_after() -> None:
    task = completed_task()
    with pytest.raises(RecallWindowPassed):
        task.recall(at(10 + 120.5), 120.0)
    task.recall(at(10 + 120), 120.0)
    assert (task.status, task.start_no, task.attempt) == (TaskStatus.STARTED, 2, 1)
    assert task.due_at == at(130 + 80)  # a fresh estimate from the recall
    assert task.completed_at is None
    assert task.started_at == at(2)


def test_refire_is_a_new_attempt_with_the_same_dispatch_key() -> None:
    task = completed_task()
    key = task.dispatch_key
    task.refire(at(20), "dropped")
    assert (task.status, task.attempt, task.is_ready) == (TaskStatus.UNASSIGNED, 2, True)
    assert (task.assigned_staff_id, task.started_at, task.due_at) == (None, None, None)
    assert task.dispatch_key == key
    task.assign(uuid.uuid4(), "Ravi", at(21))
    task.start(at(22))
    assert task.start_no == 2
    assert task.assignment_no == 2


@pytest.mark.parametrize("status", ["UNASSIGNED", "ASSIGNED"])
def test_refire_and_recall_need_a_started_or_completed_task(status: str) -> None:
    task = make_task()
    if status == "ASSIGNED":
        task.assign(uuid.uuid4(), "Asha", at(1))
    with pytest.raises(InvalidTransition):
        task.refire(at(2))
    with pytest.raises(InvalidTransition):
        task.recall(at(2), 120.0)


def test_a_voided_task_is_neither_recalled_nor_refired() -> None:
    task = completed_task()
    task.void(at(11), "guest left")
    task.void(at(12), "again")  # flagged once
    assert task.voided
    assert len([e for e in task.collect_events() if isinstance(e, Task.Voided)]) == 1
    with pytest.raises(TaskVoided):
        task.recall(at(12), 120.0)
    with pytest.raises(TaskVoided):
        task.refire(at(12))


def test_an_unstarted_task_is_not_flagged_voided() -> None:
    with pytest.raises(InvalidTransition, match="cancelled"):
        make_task().void(at(1))


def test_a_reopened_dependency_is_waited_for_once_more_and_met_once() -> None:
    parent = completed_task()
    child = make_task(depends_on=[parent.id])
    child.dependency_met(parent.id, at(10))
    child.assign(uuid.uuid4(), "Asha", at(11))
    assert child.waits_again_for(parent.id)
    child.reopen_dependency(parent.id, at(12))
    assert (child.status, child.pending_deps, child.ready_at) == (TaskStatus.UNASSIGNED, 1, None)
    assert child.assigned_staff_id is None
    child.dependency_met(parent.id, at(20))
    assert (child.pending_deps, child.ready_at) == (0, at(20))
    child.assign(uuid.uuid4(), "Asha", at(21))
    child.start(at(22))
    assert not child.waits_again_for(parent.id)  # started: it goes on
    with pytest.raises(InvalidTransition):
        child.reopen_dependency(parent.id, at(23))
    child.dependency_met(parent.id, at(30))  # the re-done parent completes: not met twice
    assert child.pending_deps == 0


def test_an_order_un_counts_a_reopened_task() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    order = make_order([a, b])
    order.task_assigned(at(1))
    order.task_completed(a, at(2))
    order.task_completed(b, at(3))
    assert (order.status, order.completed_at) == (OrderStatus.COMPLETED, at(3))
    order.task_reopened(b, at(4))
    assert (order.status, order.completed_at) == (OrderStatus.PART_COMPLETED, None)
    order.task_reopened(a, at(5))
    assert order.status == OrderStatus.IN_PROGRESS
    with pytest.raises(InvalidTransition):
        order.task_reopened(a, at(6))
    order.task_completed(a, at(7))
    order.task_completed(b, at(8))
    assert (order.status, order.completed_at) == (OrderStatus.COMPLETED, at(8))


def test_void_line_rules() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    order = two_line_order([a, b])
    order.task_assigned(at(1))
    order.task_completed(a, at(2))
    with pytest.raises(LineNotFound):
        order.void_line("wrap", "", [], at(3))
    order.void_line("dip_cup", "no dip", [b], at(3))
    assert order.status == OrderStatus.COMPLETED  # everything left is done
    assert order.voided_items == {"dip_cup": "no dip"}
    order.task_completed(b, at(4))  # a voided task finishing does not matter
    assert order.completed_task_ids == [a]
    with pytest.raises(InvalidTransition):
        order.void_line("burger_combo", "", [a], at(5))


def test_voiding_every_line_cancels_and_twice_is_refused() -> None:
    a = uuid.uuid4()
    order = two_line_order([a])
    order.void_line("dip_cup", "", [], at(1))
    with pytest.raises(LineAlreadyVoided):
        order.void_line("dip_cup", "", [], at(2))
    order.void_line("burger_combo", "table left", [a], at(2))
    assert (order.status, order.cancelled_at) == (OrderStatus.CANCELLED, at(2))


def test_an_order_snapshot_from_before_voids_is_upcast() -> None:
    state: dict[str, object] = {"voided_items": "x", "items": {"dip_cup": 1}}
    Order.upcast_v2_v3(state)
    assert state["voided_items"] == {}
    assert state["voided_task_ids"] == []


def test_a_start_recorded_before_starts_were_numbered_is_the_first() -> None:
    state: dict[str, object] = {"due_at": at(1)}
    Task.Started.upcast_v1_v2(state)
    assert state["start_no"] == 1
