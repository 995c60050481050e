"""Staff invariants: active ≤ max_parallel; no new work off shift or on break; efficiency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from domain_builders import T0, at, make_staff, replayed

from kangaroo_paw.domain.errors import CapacityExceeded, InvalidResource, InvalidTransition
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff, check_profile


def test_take_up_to_max_parallel_then_capacity_exceeded() -> None:
    cook = make_staff(max_parallel=2)
    cook.take(uuid.uuid4(), "griller", T0)
    cook.take(uuid.uuid4(), "fryer", T0)
    assert not cook.is_available("griller", T0)
    with pytest.raises(CapacityExceeded, match="max_parallel=2"):
        cook.take(uuid.uuid4(), "griller", T0)
    assert len(cook.active_tasks) == 2


def test_take_needs_the_skill() -> None:
    cook = make_staff(skills=["griller"])
    assert not cook.is_available("fryer", T0)
    with pytest.raises(InvalidResource, match="no fryer skill"):
        cook.take(uuid.uuid4(), "fryer", T0)


def test_no_new_work_on_break() -> None:
    cook = make_staff()
    cook.start_break(at(1))
    assert not cook.is_available("griller", at(2))
    with pytest.raises(InvalidTransition, match="on break"):
        cook.take(uuid.uuid4(), "griller", at(2))
    cook.end_break(at(3))
    assert cook.is_available("griller", at(4))
    cook.take(uuid.uuid4(), "griller", at(4))


def test_break_transitions() -> None:
    cook = make_staff()
    with pytest.raises(InvalidTransition, match="not on break"):
        cook.end_break(at(1))
    cook.start_break(at(1))
    with pytest.raises(InvalidTransition, match="already on break"):
        cook.start_break(at(2))


def test_work_in_progress_survives_a_break() -> None:
    cook = make_staff()
    task = uuid.uuid4()
    cook.take(task, "griller", at(0))
    cook.start_break(at(1))
    cook.finish(task, 30, 30, at(31))
    assert cook.active_tasks == []


def test_no_new_work_off_shift() -> None:
    cook = make_staff(shift_start="08:00", shift_end="16:00")
    evening = datetime(2026, 1, 1, 17, 0, tzinfo=UTC)
    assert not cook.is_available("griller", evening)
    with pytest.raises(InvalidTransition, match="off shift"):
        cook.take(uuid.uuid4(), "griller", evening)
    cook.take(uuid.uuid4(), "griller", datetime(2026, 1, 1, 9, 0, tzinfo=UTC))


def test_finish_updates_efficiency_and_active_seconds() -> None:
    cook = make_staff(efficiency=1.10)
    task = uuid.uuid4()
    cook.take(task, "griller", T0)
    cook.finish(task, estimate_secs=80, actual_secs=100, now=at(100))
    assert cook.efficiency == pytest.approx(1.055)
    assert cook.active_secs == 100
    assert cook.active_tasks == []


def test_finish_moves_efficiency_one_bounded_step_within_the_band() -> None:
    cook = make_staff(efficiency=3.9)
    task = uuid.uuid4()
    cook.take(task, "griller", T0)
    cook.finish(task, estimate_secs=100, actual_secs=50, now=at(50))  # EMA target 3.615
    assert cook.efficiency == pytest.approx(3.9 * 0.95)
    cook.take(task, "griller", T0)
    cook.finish(task, 10, 10, at(10), low=0.25, high=2.0)
    assert cook.efficiency == 2.0


def test_finish_of_a_task_not_held_is_an_invalid_transition() -> None:
    cook = make_staff()
    with pytest.raises(InvalidTransition, match="does not hold"):
        cook.finish(uuid.uuid4(), 10, 10, at(10))


def test_drop_gives_a_task_back_without_credit() -> None:
    cook = make_staff(efficiency=1.0)
    task = uuid.uuid4()
    cook.take(task, "griller", T0)
    cook.drop(task)
    cook.drop(task)  # a second drop is harmless
    assert cook.active_tasks == []
    assert (cook.active_secs, cook.efficiency) == (0.0, 1.0)


def test_utilization_counts_only_the_current_shift() -> None:
    cook = make_staff(shift_start="12:00", shift_end="20:00")
    task = uuid.uuid4()
    cook.take(task, "griller", at(0))
    cook.finish(task, 1800, 1800, at(1800))
    assert cook.utilization_at(at(3600)) == pytest.approx(0.5)
    next_day = datetime(2026, 1, 2, 13, 0, tzinfo=UTC)
    assert cook.utilization_at(next_day) == 0.0  # yesterday's work does not count
    assert cook.utilization_at(datetime(2026, 1, 2, 21, 0, tzinfo=UTC)) == 0.0  # off shift
    other = uuid.uuid4()
    cook.take(other, "griller", next_day)
    cook.finish(other, 60, 60, datetime(2026, 1, 2, 13, 1, tzinfo=UTC))
    assert cook.active_secs == 60  # the new shift started a new tally


def test_update_cannot_drop_max_parallel_below_active_tasks() -> None:
    cook = make_staff(max_parallel=3)
    cook.take(uuid.uuid4(), "griller", T0)
    cook.take(uuid.uuid4(), "griller", T0)
    with pytest.raises(CapacityExceeded):
        cook.update(
            skills=["griller"], max_parallel=1, efficiency=1.0, shift=Shift("00:00", "00:00")
        )
    cook.update(skills=["griller"], max_parallel=2, efficiency=1.2, shift=Shift("06:00", "14:00"))
    assert (cook.max_parallel, cook.efficiency, cook.shift_start) == (2, 1.2, "06:00")


@pytest.mark.parametrize(
    ("name", "skills", "max_parallel", "efficiency", "match"),
    [
        ("", ["griller"], 2, 1.0, "name"),
        ("x" * 101, ["griller"], 2, 1.0, "name"),
        ("Asha", [], 2, 1.0, "at least one skill"),
        ("Asha", ["griller"], 0, 1.0, "max_parallel"),
        ("Asha", ["griller"], 21, 1.0, "max_parallel"),
        ("Asha", ["griller"], 2, 0.05, "efficiency"),
        ("Asha", ["griller"], 2, 11, "efficiency"),
    ],
)
def test_profile_validation(
    name: str, skills: list[str], max_parallel: int, efficiency: float, match: str
) -> None:
    with pytest.raises(InvalidResource, match=match):
        check_profile(name, skills, max_parallel, efficiency)


def test_state_is_rebuilt_exactly_from_its_events() -> None:
    cook = make_staff()
    a, b = uuid.uuid4(), uuid.uuid4()
    cook.take(a, "griller", at(0))
    cook.take(b, "fryer", at(0))
    cook.start_break(at(1))
    cook.finish(a, 30, 40, at(40))
    cook.drop(b)
    cook.end_break(at(50))
    expected = dict(vars(cook))
    assert isinstance(cook, Staff)
    assert replayed(cook) == expected
