"""Hold and fire, and finish-together pacing, through the Kitchen on the embedded wiring.

One scenario class run on each persistence backend (``TestHoldFirePopo``, ``TestHoldFireSqlite``
here, PostgreSQL in tests/integration/postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest

from kangaroo_paw.domain.errors import Conflict, InvalidOrder, InvalidTransition, NotFound, NotHeld
from unit.application.kitchen_harness import Harness, build_harness

# Demo kitchen critical paths: burger_combo 90 + 35 = 125 s, dip_cup 12 s. In the idle kitchen
# the forecast adds a 5 s reaction delay per step on the way: the combo is done at 135 s (two
# steps on its critical path), the dip at 17 s, so the dip is released 118 s after the combo.
DIP_RELEASE_SECS = (125 + 2 * 5) - (12 + 5)


def work_off(kp: Harness, rounds: int = 40) -> None:
    """Start every assigned task and let the completion timers run, until nothing is left."""
    for _ in range(rounds):
        assigned = kp.kitchen.list_tasks("ASSIGNED")
        for task in assigned:
            kp.kitchen.start_task(task.task_id)
        kp.advance(200)
        if not assigned and not kp.kitchen.list_tasks("STARTED"):
            return


class HoldFireScenarios:
    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path)
        yield harness
        harness.close()

    def test_a_held_course_waits_and_the_rest_cooks(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "cold_coffee": 1}, "hold-1", courses={"cold_coffee": 2}, hold=[2]
        )
        assert order.courses == {"burger_combo": 1, "cold_coffee": 2}
        assert order.held_courses == [2]
        coffee = [t for t in order.tasks if t.item_key == "cold_coffee"]
        assert all(t.held and t.ready_at is None for t in coffee)
        assert not any(t.held for t in order.tasks if t.item_key == "burger_combo")
        kp.settle()
        queued = {e.task_id for e in kp.kitchen.queue.top(1000)}
        assert not queued & {t.task_id for t in coffee}
        assert all(t.status == "UNASSIGNED" for t in kp.tasks(order.order_id) if t.held)
        assert {t.status for t in kp.kitchen.list_tasks("WAITING")} == {"UNASSIGNED"}
        work_off(kp)
        view = kp.order(order.order_id)
        assert view.status == "PART_COMPLETED"  # only held work is left
        assert kp.event_types()["ORDER_COURSED"] == 1
        assert kp.event_types()["TASK_HELD"] == 2

    def test_firing_the_course_finishes_the_order_once(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "cold_coffee": 1}, "hold-2", courses={"cold_coffee": 2}, hold=[2]
        )
        kp.settle()
        work_off(kp)
        fired = kp.kitchen.fire_order(order.order_id, 2)
        assert fired.held_courses == []
        assert not any(t.held for t in fired.tasks)
        assert [t.step_no for t in fired.tasks if t.item_key == "cold_coffee" and t.is_ready] == [1]
        kp.settle()
        assert kp.step(order.order_id, 1, line=1).status == "ASSIGNED"  # allocation ran
        work_off(kp)
        assert kp.order(order.order_id).status == "COMPLETED"
        types = kp.event_types()
        assert types["ORDER_COURSE_FIRED"] == 1
        assert types["TASK_FIRED"] == 2
        completed = [
            e
            for e in kp.events()
            if e.type == "ORDER_STATUS_CHANGED" and e.data["new_status"] == "COMPLETED"
        ]
        assert len(completed) == 1

    def test_fire_errors(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"dip_cup": 1, "wrap": 1}, "hold-3", courses={"wrap": 2}, hold=[2]
        )
        with pytest.raises(NotHeld):
            kp.kitchen.fire_order(order.order_id, 1)
        with pytest.raises(NotFound):
            kp.kitchen.fire_order(UUID(int=7), None)
        kp.kitchen.fire_order(order.order_id, None)
        with pytest.raises(NotHeld):
            kp.kitchen.fire_order(order.order_id, 2)  # fired already
        with pytest.raises(NotHeld):
            kp.kitchen.fire_order(order.order_id, None)

    def test_a_fully_held_order_stays_confirmed_and_can_be_cancelled(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order({"burger_combo": 2}, "hold-4", hold=True)
        assert order.held_courses == [1]
        assert order.promised_ready_at is None  # nothing is cooking: nothing is promised
        kp.settle()
        assert kp.order(order.order_id).status == "CONFIRMED"
        assert kp.kitchen.queue.size() == 0
        cancelled = kp.kitchen.cancel_order(order.order_id)
        assert {t.status for t in cancelled.tasks} == {"CANCELLED"}
        with pytest.raises(InvalidTransition):
            kp.kitchen.fire_order(order.order_id, None)

    def test_confirm_with_courses_is_idempotent(self, kp: Harness) -> None:
        body = {"burger_combo": 1, "dip_cup": 1}
        first, created = kp.kitchen.confirm_order(
            body, "hold-5", courses={"dip_cup": 3}, hold=[3], pace="together"
        )
        again, created_again = kp.kitchen.confirm_order(
            body, "hold-5", courses={"dip_cup": 3, "burger_combo": 1}, hold=[3], pace="together"
        )
        assert created
        assert not created_again
        assert again.order_id == first.order_id
        for changed in (
            {"courses": {"dip_cup": 2}, "hold": [2], "pace": "together"},
            {"courses": {"dip_cup": 3}, "hold": None, "pace": "together"},
            {"courses": {"dip_cup": 3}, "hold": [3], "pace": "asap"},
        ):
            with pytest.raises(Conflict):
                kp.kitchen.confirm_order(body, "hold-5", **changed)  # type: ignore[arg-type]

    def test_bad_plans_are_refused_and_write_nothing(self, kp: Harness) -> None:
        head = kp.kitchen.head_position()
        for bad in (
            {"courses": {"pizza": 2}},
            {"courses": {"dip_cup": 0}},
            {"courses": {"dip_cup": 10}},
            {"hold": [2]},
            {"pace": "slow"},
        ):
            with pytest.raises(InvalidOrder):
                kp.kitchen.confirm_order({"dip_cup": 1}, "bad", **bad)  # type: ignore[arg-type]
        assert kp.kitchen.head_position() == head

    def test_together_releases_the_short_item_late(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "dip_cup": 1}, "pace-1", pace="together"
        )
        assert order.pace == "together"
        dip = next(t for t in order.tasks if t.item_key == "dip_cup")
        assert dip.ready_at is None
        assert not dip.held
        assert all(
            t.is_ready for t in order.tasks if t.item_key == "burger_combo" and not t.depends_on
        )
        kp.settle()
        timers = kp.embedded.scheduler.pending_timers()  # type: ignore[attr-defined]
        assert any(t.startswith(f"release-{order.order_id}-") for t in timers)
        kp.advance(DIP_RELEASE_SECS - 1)
        assert kp.kitchen.get_task(dip.task_id).ready_at is None
        kp.advance(1)
        released = kp.kitchen.get_task(dip.task_id)
        assert released.ready_at == order.created_at + timedelta(seconds=DIP_RELEASE_SECS)
        # A second firing of the same timer (redelivery) releases nothing more.
        due = order.created_at + timedelta(seconds=DIP_RELEASE_SECS)
        assert kp.kitchen.release_due(order.order_id, due) is False
        assert kp.event_types()["ORDER_ITEMS_RELEASED"] == 1
        work_off(kp)
        assert kp.order(order.order_id).status == "COMPLETED"

    def test_together_releases_by_the_forecast_so_a_queue_delays_the_short_item(
        self, kp: Harness
    ) -> None:
        """The combo queues behind an older order's combos (the dip's counter is free), so it
        finishes later than its critical path says and the dip is released later to match."""
        kp.kitchen.confirm_order({"burger_combo": 3}, "busy", pace="asap")
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "dip_cup": 1}, "pace-q", pace="together"
        )
        planned = kp.kitchen.order(order.order_id).pending_releases["dip_cup"]
        assert planned > order.created_at + timedelta(seconds=DIP_RELEASE_SECS)

    def test_a_release_after_cancel_does_nothing(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "dip_cup": 1}, "pace-2", pace="together"
        )
        kp.settle()
        kp.kitchen.cancel_order(order.order_id)
        kp.advance(DIP_RELEASE_SECS + 5)
        assert kp.event_types()["ORDER_ITEMS_RELEASED"] == 0
        assert {t.status for t in kp.tasks(order.order_id)} == {"CANCELLED"}

    def test_firing_a_paced_course_paces_it_from_the_fire(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "dip_cup": 1}, "pace-3", hold=True, pace="together"
        )
        kp.advance(30)
        fired = kp.kitchen.fire_order(order.order_id, None)
        dip = next(t for t in fired.tasks if t.item_key == "dip_cup")
        assert dip.ready_at is None
        assert not dip.held
        kp.advance(DIP_RELEASE_SECS)
        ready_at = kp.kitchen.get_task(dip.task_id).ready_at
        assert ready_at == order.created_at + timedelta(seconds=30 + DIP_RELEASE_SECS)

    def test_the_kitchen_default_pace_applies(self, tmp_path: Path) -> None:
        kp = build_harness(self.persistence, tmp_path / "together", pace="together")
        try:
            order, _ = kp.kitchen.confirm_order({"burger_combo": 1, "dip_cup": 1}, "pace-4")
            assert order.pace == "together"
            _again, created = kp.kitchen.confirm_order({"burger_combo": 1, "dip_cup": 1}, "pace-4")
            assert not created
        finally:
            kp.close()


class TestHoldFirePopo(HoldFireScenarios):
    persistence = "popo"


class TestHoldFireSqlite(HoldFireScenarios):
    persistence = "sqlite"

    def test_a_planned_release_is_rearmed_after_a_restart(self, tmp_path: Path) -> None:
        kp = build_harness("sqlite", tmp_path)
        order, _ = kp.kitchen.confirm_order(
            {"burger_combo": 1, "dip_cup": 1}, "pace-5", pace="together"
        )
        kp.settle()
        clock = kp.clock
        kp.close()
        kp = build_harness("sqlite", tmp_path, clock)
        try:
            kp.advance(DIP_RELEASE_SECS)
            dip = next(t for t in kp.tasks(order.order_id) if t.item_key == "dip_cup")
            assert dip.ready_at is not None
        finally:
            kp.close()
