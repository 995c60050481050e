"""Issue 12, item 8, through the Kitchen: a cook who presses start and then complete at once,
order after order, must not drive their efficiency multiplier to the clamp (it took one such
task to go from 1.1 to 4.0 and win every later pick)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from unit.application.kitchen_harness import Harness, build_harness

ORDERS = 12


@pytest.fixture
def kp(tmp_path: Path) -> Iterator[Harness]:
    harness = build_harness("popo", tmp_path)
    yield harness
    harness.close()


def rush_through(kp: Harness, instant_secs: float) -> int:
    """Confirm orders and have every assignment started and completed ``instant_secs`` later
    (far under a quarter of any estimate); returns the tasks completed."""
    done = 0
    for _ in range(ORDERS):
        order = kp.confirm({"burger_combo": 1})
        while kp.order(order.order_id).status != "COMPLETED":
            kp.settle()
            assigned = [t for t in kp.tasks(order.order_id) if t.status == "ASSIGNED"]
            assert assigned, "the allocator left the order stuck"
            for task in assigned:
                kp.kitchen.start_task(task.task_id)
                kp.clock.advance(instant_secs)
                kp.kitchen.complete_task(task.task_id)
                done += 1
    kp.settle()
    return done


@pytest.mark.parametrize("instant_secs", [0.0, 0.5])
def test_start_complete_loops_leave_the_multiplier_where_it_was(
    kp: Harness, instant_secs: float
) -> None:
    before = {s.name: s.efficiency_multiplier for s in kp.kitchen.list_staff()}
    done = rush_through(kp, instant_secs)
    assert done == ORDERS * 4
    after = {s.name: s.efficiency_multiplier for s in kp.kitchen.list_staff()}
    assert after == before  # not trained at all
    assert max(after.values()) < 1.2  # the stated bound (the unbounded rule reached 4.0)
    # The completions themselves are all recorded, with their (instant) durations.
    finished = [e for e in kp.events() if e.type == "STAFF_TASK_FINISHED"]
    assert len(finished) == done
    assert {e.data["actual_secs"] for e in finished} == {instant_secs}
