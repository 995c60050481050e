"""The Task state machine: UNASSIGNED (waiting/ready) → ASSIGNED → STARTED → COMPLETED."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from domain_builders import T0, at, make_task, replayed

from kangaroo_paw.domain.errors import Forbidden, InvalidTransition
from kangaroo_paw.domain.task import HandBackReason, Task, TaskStatus

COOK = uuid.uuid4()


def assigned() -> Task:
    task = make_task()
    task.assign(COOK, "Asha", at(1))
    return task


def started() -> Task:
    task = assigned()
    task.start(at(2))
    return task


def test_root_task_is_ready_once_marked() -> None:
    task = make_task(ready=False)
    assert task.status == TaskStatus.UNASSIGNED
    assert not task.is_ready  # no dependency pending, but not released (held or paced)
    assert task.is_unreleased_root
    assert task.ready_at is None
    task.mark_ready(T0)
    assert task.ready_at == T0
    assert task.is_ready
    assert not task.is_unreleased_root


def test_a_task_cannot_become_ready_twice() -> None:
    task = make_task()
    with pytest.raises(InvalidTransition):
        task.mark_ready(at(1))


def test_waiting_task_becomes_ready_when_its_last_dependency_is_met() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    task = make_task(depends_on=[a, b])
    assert not task.is_ready
    with pytest.raises(InvalidTransition):
        task.mark_ready(T0)
    task.dependency_met(a, at(5))
    assert (task.pending_deps, task.is_ready, task.ready_at) == (1, False, None)
    task.dependency_met(b, at(9))
    assert (task.pending_deps, task.is_ready, task.ready_at) == (0, True, at(9))


def test_dependency_met_rejects_a_stranger() -> None:
    task = make_task(depends_on=[uuid.uuid4()])
    with pytest.raises(InvalidTransition, match="does not wait for"):
        task.dependency_met(uuid.uuid4(), at(1))


def test_cancelled_task_ignores_late_dependencies() -> None:
    parent = uuid.uuid4()
    task = make_task(depends_on=[parent])
    task.cancel(at(1))
    task.dependency_met(parent, at(2))
    assert task.status == TaskStatus.CANCELLED
    assert task.pending_deps == 1


def test_assign_start_complete() -> None:
    task = make_task(estimate_secs=80)
    task.assign(COOK, "Asha", at(1))
    assert task.status == TaskStatus.ASSIGNED
    assert (task.assigned_staff_id, task.assigned_staff, task.assignment_no) == (COOK, "Asha", 1)
    assert task.assigned_machine == "grill-1"
    assert task.held_stations() == ["griller", "grill-1"]
    task.start(at(2), COOK)
    assert task.status == TaskStatus.STARTED
    assert task.started_at == at(2)
    task.complete(at(102))
    assert task.status == TaskStatus.COMPLETED
    assert task.completed_at == at(102)
    assert task.held_stations() == []
    assert task.is_final


def test_started_event_carries_the_due_time() -> None:
    task = make_task(estimate_secs=80)
    task.assign(COOK, "Asha", at(1))
    task.start(at(2))
    started_event = task.collect_events()[-1]
    assert isinstance(started_event, Task.Started)
    assert started_event.due_at == at(82)


def test_completed_event_carries_the_actual_duration() -> None:
    task = started()
    task.complete(at(32))
    completed = task.collect_events()[-1]
    assert isinstance(completed, Task.Completed)
    assert completed.actual_secs == 30


def test_start_unassigned_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition, match="only an ASSIGNED task can start"):
        make_task().start(at(1))


def test_start_by_another_cook_is_forbidden() -> None:
    task = assigned()
    with pytest.raises(Forbidden):
        task.start(at(2), uuid.uuid4())
    assert task.status == TaskStatus.ASSIGNED


def test_start_twice_is_an_invalid_transition() -> None:
    task = started()
    with pytest.raises(InvalidTransition):
        task.start(at(3))


def test_complete_twice_is_an_invalid_transition() -> None:
    task = started()
    task.complete(at(10))
    with pytest.raises(InvalidTransition, match="only a STARTED task can complete"):
        task.complete(at(11))


@pytest.mark.parametrize("make", [make_task, assigned])
def test_complete_before_start_is_an_invalid_transition(make: Callable[[], Task]) -> None:
    task = make()
    with pytest.raises(InvalidTransition):
        task.complete(at(5))


def test_assign_a_waiting_task_is_an_invalid_transition() -> None:
    task = make_task(depends_on=[uuid.uuid4()])
    with pytest.raises(InvalidTransition, match="waiting for 1 step"):
        task.assign(COOK, "Asha", at(1))


def test_assign_twice_is_an_invalid_transition() -> None:
    task = assigned()
    with pytest.raises(InvalidTransition):
        task.assign(COOK, "Asha", at(2))


def test_requeue_keeps_its_boost_until_the_task_is_assigned_again() -> None:
    task = make_task(base_priority=20, boost=25)
    assert task.priority == 45
    task.assign(COOK, "Asha", at(1))
    task.requeue(10, at(46), assignment_no=1)
    assert task.status == TaskStatus.UNASSIGNED
    assert task.is_ready
    assert task.priority == 55
    assert task.requeue_count == 1
    assert (task.assigned_staff_id, task.assigned_machine, task.assigned_at) == (None, None, None)
    assert task.ready_at == T0  # it keeps the aging credit it already earned
    assert task.held_stations() == []
    task.assign(COOK, "Asha", at(50))
    assert task.priority == 45
    assert task.assignment_no == 2


def test_requeue_with_an_old_assignment_number_is_refused() -> None:
    task = assigned()
    task.requeue(10, at(46), assignment_no=1)
    task.assign(COOK, "Asha", at(47))
    with pytest.raises(InvalidTransition, match="reassigned since assignment 1"):
        task.requeue(10, at(92), assignment_no=1)
    task.requeue(10, at(92), assignment_no=2)
    assert task.requeue_count == 2


@pytest.mark.parametrize("make", [make_task, started])
def test_requeue_needs_an_assigned_task(make: Callable[[], Task]) -> None:
    with pytest.raises(InvalidTransition, match="only an ASSIGNED task is requeued"):
        make().requeue(10, at(60))


def test_a_hand_back_returns_the_task_at_its_place_with_the_requeue_boost() -> None:
    task = make_task(base_priority=20, boost=25)
    key = task.dispatch_key
    task.assign(COOK, "Asha", at(1))
    task.hand_back(COOK, HandBackReason.BREAK, 10, at(5))
    assert (task.status, task.is_ready) == (TaskStatus.UNASSIGNED, True)
    assert (task.assigned_staff_id, task.assigned_machine, task.assigned_at) == (None, None, None)
    assert task.held_stations() == []
    assert task.dispatch_key == key  # its place in the queue
    assert task.priority == 55  # the v1 key's boost, as a stale requeue
    assert task.requeue_count == 0  # not stale: the cook went on break
    assert (task.assignment_no, task.ready_at) == (1, T0)
    handed = task.collect_events()[-1]
    assert isinstance(handed, Task.HandedBack)
    assert (handed.staff_id, handed.reason, handed.assignment_no) == (COOK, "break", 1)
    task.assign(COOK, "Asha", at(6))
    assert (task.assignment_no, task.priority) == (2, 45)


def test_a_hand_back_replays_to_the_same_state() -> None:
    task = assigned()
    task.hand_back(COOK, HandBackReason.OFF_SHIFT, 0, at(5))
    state = dict(vars(task))
    assert replayed(task) == state


@pytest.mark.parametrize("make", [make_task, started])
def test_only_an_assigned_task_is_handed_back(make: Callable[[], Task]) -> None:
    with pytest.raises(InvalidTransition, match="only an ASSIGNED task is handed back"):
        make().hand_back(COOK, HandBackReason.BREAK, 0, at(5))


def test_only_its_own_cook_hands_a_task_back() -> None:
    task = assigned()
    with pytest.raises(InvalidTransition, match="handed back by its cook"):
        task.hand_back(uuid.uuid4(), HandBackReason.BREAK, 0, at(5))
    assert task.status == TaskStatus.ASSIGNED


@pytest.mark.parametrize("make", [make_task, assigned, started])
def test_cancel_any_open_task(make: Callable[[], Task]) -> None:
    task = make()
    task.cancel(at(9))
    assert task.status == TaskStatus.CANCELLED
    assert task.cancelled_at == at(9)
    assert task.held_stations() == []
    assert not task.is_ready


def test_cancel_a_final_task_is_an_invalid_transition() -> None:
    task = started()
    task.complete(at(10))
    with pytest.raises(InvalidTransition):
        task.cancel(at(11))
    other = make_task()
    other.cancel(at(1))
    with pytest.raises(InvalidTransition):
        other.cancel(at(2))


def test_counter_only_task_holds_only_its_counter() -> None:
    task = make_task(counter="adhoc", machine=None)
    task.assign(COOK, "Ravi", at(1))
    assert task.held_stations() == ["adhoc"]


def test_state_is_rebuilt_exactly_from_its_events() -> None:
    parent = uuid.uuid4()
    task = make_task(depends_on=[parent], boost=5)
    task.dependency_met(parent, at(1))
    task.assign(COOK, "Asha", at(2))
    task.requeue(10, at(47), 1)
    task.assign(COOK, "Asha", at(48))
    task.start(at(49))
    task.complete(at(100))
    expected = dict(vars(task))
    assert replayed(task) == expected
