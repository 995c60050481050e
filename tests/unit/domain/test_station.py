"""Station invariants: holders ≤ capacity; nothing reserved on a machine that is down."""

from __future__ import annotations

import uuid

import pytest
from domain_builders import at, make_station, replayed
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain.errors import CapacityExceeded, InvalidResource, StationDown
from kangaroo_paw.domain.station import MAX_CAPACITY, check_capacity


def test_reserve_and_release() -> None:
    station = make_station(2)
    a, b = uuid.uuid4(), uuid.uuid4()
    station.reserve(a)
    assert station.free == 1
    station.reserve(b)
    assert station.free == 0
    assert station.holders == [a, b]
    station.release(a)
    assert station.holders == [b]
    assert station.free == 1


def test_reserve_when_full_raises_capacity_exceeded() -> None:
    station = make_station(1)
    station.reserve(uuid.uuid4())
    with pytest.raises(CapacityExceeded, match="is full"):
        station.reserve(uuid.uuid4())
    assert len(station.holders) == 1


def test_reserving_the_same_task_twice_takes_one_slot() -> None:
    station = make_station(1)
    task = uuid.uuid4()
    station.reserve(task)
    station.reserve(task)
    assert station.holders == [task]


def test_release_of_a_task_not_held_is_a_no_op() -> None:
    station = make_station(1)
    station.release(uuid.uuid4())
    assert station.collect_events()[-1].__class__.__name__ == "Created"


def test_reserve_when_down_raises_station_down() -> None:
    machine = make_station(4, machine=True)
    machine.go_down(at(1))
    assert machine.free == 0
    with pytest.raises(StationDown, match="is down"):
        machine.reserve(uuid.uuid4())
    assert machine.holders == []


def test_going_down_keeps_work_in_progress_which_may_finish() -> None:
    machine = make_station(2, machine=True)
    task = uuid.uuid4()
    machine.reserve(task)
    machine.go_down(at(1))
    assert machine.holders == [task]
    machine.release(task)
    assert machine.holders == []
    machine.come_up(at(2))
    assert machine.free == 2


def test_down_and_up_are_idempotent() -> None:
    machine = make_station(2, machine=True)
    machine.go_down(at(1))
    machine.go_down(at(2))
    machine.come_up(at(3))
    machine.come_up(at(4))
    names = [type(e).__name__ for e in machine.collect_events()]
    assert names == ["Created", "WentDown", "CameUp"]


def test_capacity_cannot_drop_below_holders() -> None:
    station = make_station(3)
    station.reserve(uuid.uuid4())
    station.reserve(uuid.uuid4())
    with pytest.raises(CapacityExceeded, match="capacity cannot drop to 1"):
        station.change_capacity(1)
    station.change_capacity(2)
    assert station.capacity == 2
    assert station.free == 0
    station.change_capacity(5)
    assert station.free == 3


@pytest.mark.parametrize("capacity", [0, -1, MAX_CAPACITY + 1, 1.5, True])
def test_capacity_must_be_a_sane_integer(capacity: object) -> None:
    with pytest.raises(InvalidResource):
        check_capacity(capacity)  # type: ignore[arg-type]
    station = make_station(2)
    with pytest.raises(InvalidResource):
        station.change_capacity(capacity)  # type: ignore[arg-type]


@given(
    capacity=st.integers(1, 5),
    ops=st.lists(
        st.tuples(st.sampled_from(["reserve", "release", "down", "up"]), st.integers(0, 7))
    ),
)
def test_holders_never_exceed_capacity_and_nothing_lands_on_a_down_machine(
    capacity: int, ops: list[tuple[str, int]]
) -> None:
    machine = make_station(capacity, machine=True)
    tasks = [uuid.uuid4() for _ in range(8)]
    for op, n in ops:
        before = list(machine.holders)
        if op == "reserve":
            try:
                machine.reserve(tasks[n])
            except (CapacityExceeded, StationDown):
                assert machine.holders == before
            else:
                assert machine.up
        elif op == "release":
            machine.release(tasks[n])
        elif op == "down":
            machine.go_down(at(n))
        else:
            machine.come_up(at(n))
        assert len(machine.holders) <= machine.capacity
        assert len(set(machine.holders)) == len(machine.holders)
    assert replayed(machine) == dict(vars(machine))
