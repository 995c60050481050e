"""Recall, re-fire and void through the Kitchen on the embedded wiring, in each persistence
mode (``CorrectionScenarios`` is run again on PostgreSQL by tests/integration/postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest

from kangaroo_paw.application.views import TaskView
from kangaroo_paw.domain.errors import (
    CapacityExceeded,
    InvalidTransition,
    LineAlreadyVoided,
    LineNotFound,
    RecallWindowPassed,
    TaskVoided,
)
from unit.application.kitchen_harness import Harness, build_harness

DIP = {"dip_cup": 1}  # one step, 12 s, on the adhoc counter and packing-1
BURGER = {"burger_combo": 1}  # 1 patty, 2 bun (grill), 3 fries, 4 assemble (after 1-3)


class CorrectionScenarios:
    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path)
        yield harness
        harness.close()

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def run(kp: Harness, task: TaskView, secs: float = 1.0) -> None:
        """Start an assigned task and bump it ``secs`` later."""
        kp.kitchen.start_task(task.task_id)
        kp.clock.advance(secs)
        kp.kitchen.complete_task(task.task_id)
        kp.settle()

    @staticmethod
    def holds(kp: Harness, task_id: UUID) -> tuple[list[str], list[str]]:
        """The stations and cooks holding ``task_id``."""
        stations = [n for n, ids in kp.kitchen.station_holders().items() if task_id in ids]
        cooks = [s.name for s in kp.kitchen.list_staff() if task_id in s.active_tasks]
        return sorted(stations), cooks

    def burger_with_sides_done(self, kp: Harness) -> tuple[UUID, TaskView]:
        """A burger whose patty, bun and fries are done: the assembly is ASSIGNED."""
        order = kp.confirm(BURGER)
        kp.settle()
        for step_no in (1, 2, 3):
            self.run(kp, kp.step(order.order_id, step_no))
        assembly = kp.step(order.order_id, 4)
        assert assembly.status == "ASSIGNED"
        return order.order_id, assembly

    # -- recall -------------------------------------------------------------------------------

    def test_recall_reopens_the_task_and_the_order_and_rearms_the_timer(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        self.run(kp, dip, 3)
        assert kp.order(order.order_id).status == "COMPLETED"
        kp.clock.advance(30)
        recalled = kp.kitchen.recall_task(dip.task_id)
        assert (recalled.status, recalled.attempt, recalled.start_no) == ("STARTED", 1, 2)
        assert recalled.completed_at is None
        assert recalled.due_at is not None
        assert (recalled.due_at - kp.clock.now()).total_seconds() == 12  # a fresh estimate
        kp.settle()
        after = kp.order(order.order_id)
        assert (after.status, after.completed_at) == ("IN_PROGRESS", None)
        assert self.holds(kp, dip.task_id) == (["adhoc", "packing-1"], [dip.assigned_staff])
        assert f"complete-{dip.task_id}-2" in kp.embedded.scheduler.pending_timers()
        kp.advance(12)
        assert kp.kitchen.get_task(dip.task_id).status == "COMPLETED"
        assert kp.order(order.order_id).status == "COMPLETED"
        assert self.holds(kp, dip.task_id) == ([], [])
        types = kp.event_types()
        assert (types["TASK_RECALLED"], types["ORDER_TASK_REOPENED"]) == (1, 1)
        assert types["TASK_COMPLETED"] == 2

    def test_the_first_starts_timer_does_not_complete_a_recalled_task(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        self.run(kp, dip, 3)  # due at +12 by the first start's timer
        kp.clock.advance(2)
        kp.kitchen.recall_task(dip.task_id)  # due at +17
        kp.advance(8)  # +13: the first start's timer came due and found another start
        assert kp.kitchen.get_task(dip.task_id).status == "STARTED"
        assert f"complete-{dip.task_id}-1" in kp.embedded.scheduler.fired
        kp.advance(4)  # +17
        assert kp.kitchen.get_task(dip.task_id).status == "COMPLETED"

    def test_recall_past_the_window_is_refused_and_records_nothing(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        self.run(kp, dip)
        kp.clock.advance(kp.kitchen.policy.recall_window_secs + 1)
        head = kp.kitchen.head_position()
        with pytest.raises(RecallWindowPassed) as raised:
            kp.kitchen.recall_task(dip.task_id)
        assert raised.value.code == "recall_window_passed"
        assert kp.kitchen.head_position() == head

    def test_only_a_completed_task_is_recalled(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        with pytest.raises(InvalidTransition, match="only a COMPLETED task"):
            kp.kitchen.recall_task(dip.task_id)

    def test_recall_when_the_slot_was_taken_is_refused(self, kp: Harness) -> None:
        kp.kitchen.change_counter_capacity("adhoc", 1)
        first = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(first.order_id)[0]
        self.run(kp, dip)
        second = kp.confirm(DIP)
        kp.settle()
        assert kp.tasks(second.order_id)[0].status == "ASSIGNED"  # holds the only adhoc slot
        head = kp.kitchen.head_position()
        with pytest.raises(CapacityExceeded):
            kp.kitchen.recall_task(dip.task_id)
        assert kp.kitchen.head_position() == head
        assert kp.kitchen.get_task(dip.task_id).status == "COMPLETED"

    def test_recall_makes_unstarted_dependants_wait_again(self, kp: Harness) -> None:
        order_id, assembly = self.burger_with_sides_done(kp)
        fries = kp.step(order_id, 3)
        kp.kitchen.recall_task(fries.task_id)
        kp.settle()
        waiting = kp.kitchen.get_task(assembly.task_id)
        assert (waiting.status, waiting.pending_deps, waiting.ready_at) == ("UNASSIGNED", 1, None)
        assert self.holds(kp, assembly.task_id) == ([], [])
        assert assembly.task_id not in {e.task_id for e in kp.kitchen.queue.top(100)}
        assert kp.order(order_id).status == "PART_COMPLETED"
        kp.kitchen.complete_task(fries.task_id)
        kp.settle()
        again = kp.kitchen.get_task(assembly.task_id)
        assert again.status == "ASSIGNED"
        assert again.assignment_no == 2

    # -- re-fire ------------------------------------------------------------------------------

    def test_refire_of_a_completed_task_runs_a_new_attempt(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        self.run(kp, dip)
        key = kp.kitchen.task(dip.task_id).dispatch_key
        assert kp.order(order.order_id).status == "COMPLETED"
        refired = kp.kitchen.refire_task(dip.task_id, "dropped")
        assert (refired.status, refired.attempt, refired.is_ready) == ("UNASSIGNED", 2, True)
        assert refired.started_at is None
        kp.drain()
        assert [(e.task_id, e.key) for e in kp.kitchen.queue.top(10)] == [(dip.task_id, key)]
        assert kp.order(order.order_id).status == "IN_PROGRESS"
        kp.settle()
        assigned = kp.kitchen.get_task(dip.task_id)
        assert assigned.status == "ASSIGNED"
        started = kp.kitchen.start_task(dip.task_id)
        assert started.start_no == 2
        kp.settle()
        kp.advance(12)  # the second attempt's own timer completes it
        assert kp.kitchen.get_task(dip.task_id).status == "COMPLETED"
        assert kp.order(order.order_id).status == "COMPLETED"
        assert kp.event_types()["TASK_COMPLETED"] == 2

    def test_an_old_attempts_timer_does_not_complete_the_new_one(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(dip.task_id)  # attempt 1: due at +12
        kp.settle()
        kp.clock.advance(2)
        kp.kitchen.refire_task(dip.task_id)
        kp.settle()
        assert self.holds(kp, dip.task_id)[0] == ["adhoc", "packing-1"]  # assigned anew
        kp.clock.advance(3)
        kp.kitchen.start_task(dip.task_id)  # attempt 2: due at +17
        kp.advance(8)  # +13
        assert kp.kitchen.get_task(dip.task_id).status == "STARTED"
        kp.advance(4)  # +17
        assert kp.kitchen.get_task(dip.task_id).status == "COMPLETED"
        assert kp.event_types()["TASK_COMPLETED"] == 1

    def test_refire_of_a_started_task_releases_what_it_held(self, kp: Harness) -> None:
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, True)
        kp.kitchen.set_break(kp.staff("Noah").staff_id, True)
        order = kp.confirm(DIP)
        kp.settle()  # nobody can take it: the burger cooks have no adhoc skill
        assert kp.tasks(order.order_id)[0].status == "UNASSIGNED"
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, False)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(dip.task_id)
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, True)  # nobody takes the re-fire
        kp.kitchen.refire_task(dip.task_id)
        kp.settle()
        assert self.holds(kp, dip.task_id) == ([], [])
        assert kp.kitchen.get_task(dip.task_id).status == "UNASSIGNED"

    def test_refire_leaves_started_dependants_and_requeues_unstarted_ones(
        self, kp: Harness
    ) -> None:
        order_id, assembly = self.burger_with_sides_done(kp)
        patty, fries = kp.step(order_id, 1), kp.step(order_id, 3)
        kp.kitchen.refire_task(patty.task_id)  # the assembly was only assigned: waits again
        kp.settle()
        assert kp.kitchen.get_task(assembly.task_id).pending_deps == 1
        self.run(kp, kp.step(order_id, 1))
        assert kp.kitchen.get_task(assembly.task_id).status == "ASSIGNED"
        kp.kitchen.start_task(assembly.task_id)
        kp.kitchen.refire_task(fries.task_id)  # the assembly started: it goes on
        kp.settle()
        going = kp.kitchen.get_task(assembly.task_id)
        assert (going.status, going.pending_deps) == ("STARTED", 0)
        self.run(kp, kp.step(order_id, 3))  # fries again: the assembly is not met twice
        assert kp.kitchen.get_task(assembly.task_id).pending_deps == 0
        kp.kitchen.complete_task(assembly.task_id)
        kp.settle()
        done = kp.order(order_id)
        assert done.status == "COMPLETED"
        assert {t.status for t in done.tasks} == {"COMPLETED"}

    def test_only_a_started_or_completed_task_is_refired(self, kp: Harness) -> None:
        order = kp.confirm(DIP)
        kp.settle()
        dip = kp.tasks(order.order_id)[0]
        with pytest.raises(InvalidTransition, match="only a STARTED or COMPLETED"):
            kp.kitchen.refire_task(dip.task_id)
        self.run(kp, dip)
        other = kp.confirm(BURGER)
        kp.settle()
        patty = kp.step(other.order_id, 1)
        kp.kitchen.start_task(patty.task_id)
        kp.kitchen.cancel_order(other.order_id)
        with pytest.raises(InvalidTransition, match="cancelled"):
            kp.kitchen.refire_task(patty.task_id)

    # -- void ---------------------------------------------------------------------------------

    def test_void_cancels_unstarted_tasks_and_flags_started_ones(self, kp: Harness) -> None:
        order = kp.confirm({**BURGER, **DIP})
        kp.settle()
        patty = kp.step(order.order_id, 1)
        kp.kitchen.start_task(patty.task_id)
        voided = kp.kitchen.void_line(order.order_id, "burger_combo", "guest changed mind")
        assert voided.voided_items == {"burger_combo": "guest changed mind"}
        by_step = {t.step_no: t for t in voided.tasks if t.item_key == "burger_combo"}
        assert (by_step[1].status, by_step[1].voided) == ("STARTED", True)
        assert {by_step[n].status for n in (2, 3, 4)} == {"CANCELLED"}
        kp.settle()
        for n in (2, 3, 4):
            assert self.holds(kp, by_step[n].task_id) == ([], [])
        with pytest.raises(TaskVoided):
            kp.kitchen.refire_task(patty.task_id)
        dip = kp.step(order.order_id, 1, line=1)
        self.run(kp, dip)
        assert kp.order(order.order_id).status == "COMPLETED"  # the patty does not matter
        kp.advance(80)  # the voided patty finishes by its timer: the order stays as it is
        assert kp.kitchen.get_task(patty.task_id).status == "COMPLETED"
        final = kp.order(order.order_id)
        assert final.status == "COMPLETED"
        assert kp.event_types()["ORDER_STATUS_CHANGED"] == 2  # IN_PROGRESS, COMPLETED

    def test_voiding_what_is_left_undone_completes_the_order(self, kp: Harness) -> None:
        order = kp.confirm({**BURGER, **DIP})
        kp.settle()
        self.run(kp, kp.step(order.order_id, 1, line=1))
        assert kp.order(order.order_id).status == "PART_COMPLETED"
        done = kp.kitchen.void_line(order.order_id, "burger_combo")
        assert done.status == "COMPLETED"
        assert done.completed_at == kp.clock.now()

    def test_voiding_the_last_line_cancels_the_order(self, kp: Harness) -> None:
        order = kp.confirm({**BURGER, **DIP})
        kp.settle()
        patty = kp.step(order.order_id, 1)
        kp.kitchen.start_task(patty.task_id)
        kp.kitchen.void_line(order.order_id, "dip_cup")
        cancelled = kp.kitchen.void_line(order.order_id, "burger_combo", "table left")
        assert cancelled.status == "CANCELLED"
        assert {t.status for t in cancelled.tasks} == {"CANCELLED"}
        kp.settle()
        assert all(not ids for ids in kp.kitchen.station_holders().values())
        assert all(not s.active_tasks for s in kp.kitchen.list_staff())

    def test_void_errors_record_nothing(self, kp: Harness) -> None:
        order = kp.confirm({**BURGER, **DIP})
        kp.settle()
        kp.kitchen.void_line(order.order_id, "dip_cup")
        head = kp.kitchen.head_position()
        with pytest.raises(LineNotFound) as unknown:
            kp.kitchen.void_line(order.order_id, "wrap")
        assert unknown.value.code == "line_not_found"
        with pytest.raises(LineAlreadyVoided):
            kp.kitchen.void_line(order.order_id, "dip_cup")
        assert kp.kitchen.head_position() == head
        kp.kitchen.cancel_order(order.order_id)
        with pytest.raises(InvalidTransition, match="only an open order"):
            kp.kitchen.void_line(order.order_id, "burger_combo")

    def test_a_completed_task_of_a_voided_line_is_not_recalled(self, kp: Harness) -> None:
        order = kp.confirm({**BURGER, **DIP})
        kp.settle()
        dip = kp.step(order.order_id, 1, line=1)
        self.run(kp, dip)
        kp.kitchen.void_line(order.order_id, "dip_cup")
        assert kp.kitchen.get_task(dip.task_id).voided
        with pytest.raises(TaskVoided):
            kp.kitchen.recall_task(dip.task_id)


class TestCorrectionsPopo(CorrectionScenarios):
    persistence = "popo"


class TestCorrectionsSqlite(CorrectionScenarios):
    persistence = "sqlite"

    def test_a_restart_rearms_a_recalled_and_a_refired_start(self, tmp_path: Path) -> None:
        kp = build_harness("sqlite", tmp_path)
        order = kp.confirm({**DIP, "cold_coffee": 1})
        kp.settle()
        dip = kp.step(order.order_id, 1, line=1)
        blend = kp.step(order.order_id, 1)
        self.run(kp, dip)
        kp.kitchen.recall_task(dip.task_id)
        kp.kitchen.start_task(blend.task_id)
        kp.kitchen.refire_task(blend.task_id)
        kp.settle()
        kp.kitchen.start_task(blend.task_id)
        kp.settle()
        before = kp.state()
        kp.close()
        again = build_harness("sqlite", tmp_path, kp.clock)
        try:
            assert again.state() == before
            pending = again.embedded.scheduler.pending_timers()
            assert f"complete-{dip.task_id}-2" in pending
            assert f"complete-{blend.task_id}-2" in pending
            again.advance(60)
            assert again.kitchen.get_task(dip.task_id).status == "COMPLETED"
            assert again.kitchen.get_task(blend.task_id).status == "COMPLETED"
        finally:
            again.close()
