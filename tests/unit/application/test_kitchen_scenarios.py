"""Scenarios through the Kitchen service on the embedded wiring.

One scenario class, run against each persistence backend by subclassing and changing only
the environment (the style of eventsourcing's own examples): ``TestKitchenPopo`` and
``TestKitchenSqlite`` below. SQLite adds what only a file can show: a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
from eventsourcing.persistence import RecordConflictError

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import (
    CapacityExceeded,
    Conflict,
    Forbidden,
    InvalidOrder,
    InvalidQuantity,
    InvalidTransition,
    KitchenError,
    NotFound,
    RecipeInvalid,
    UnknownItem,
)
from kangaroo_paw.domain.recipes import RecipeStep
from kangaroo_paw.domain.staff import Staff
from unit.application.kitchen_harness import Harness, build_harness

BURGER = {"burger_combo": 1}


class KitchenScenarios:
    """Every scenario; subclasses set ``persistence`` and nothing else."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path)
        yield harness
        harness.close()

    # -- confirm -----------------------------------------------------------------------------

    def test_confirm_explodes_the_order_into_tasks(self, kp: Harness) -> None:
        order, created = kp.kitchen.confirm_order(BURGER, "ext-1")
        assert created
        assert order.order_id == ids.order_id("ext-1")
        assert order.status == "CONFIRMED"
        assert [t.step_no for t in order.tasks] == [1, 2, 3, 4]
        ready = {t.step_no for t in order.tasks if t.is_ready}
        assert ready == {1, 2, 3}
        assemble = order.tasks[3]
        assert assemble.pending_deps == 3
        assert set(assemble.depends_on) == {t.task_id for t in order.tasks[:3]}
        kp.drain()
        queued = [e.task_id for e in kp.kitchen.queue.top(10)]
        # One order: the longest remaining path first, fries 90+35, patty 80+35, bun 25+35.
        assert queued == [order.tasks[2].task_id, order.tasks[0].task_id, order.tasks[1].task_id]

    def test_confirm_writes_everything_in_one_save(self, kp: Harness) -> None:
        head = kp.kitchen.head_position()
        kp.confirm(BURGER, "ext-1")
        types = kp.event_types(after=head)
        assert types == {"ORDER_CONFIRMED": 1, "TASK_CREATED": 4, "TASK_READY": 3}

    def test_dependencies_never_cross_units_or_items(self, kp: Harness) -> None:
        order = kp.confirm({"burger_combo": 2, "wrap": 1, "dip_cup": 3})
        assert len(order.tasks) == 4 * 2 + 3 + 1 * 3
        by_id = {t.task_id: t for t in order.tasks}
        for task in order.tasks:
            for parent_id in task.depends_on:
                parent = by_id[parent_id]
                assert (parent.item_key, parent.unit) == (task.item_key, task.unit)

    def test_confirm_is_idempotent_by_external_id(self, kp: Harness) -> None:
        first, created = kp.kitchen.confirm_order({"burger_combo": 2, "wrap": 1}, "ext-9")
        assert created
        head = kp.kitchen.head_position()
        again, created_again = kp.kitchen.confirm_order({"wrap": 1, "burger_combo": 2}, "ext-9")
        assert not created_again
        assert again.order_id == first.order_id
        assert [t.task_id for t in again.tasks] == [t.task_id for t in first.tasks]
        assert kp.kitchen.head_position() == head

    @pytest.mark.parametrize(
        ("items", "priority"),
        [
            ({"burger_combo": 2}, "normal"),
            ({"burger_combo": 1, "wrap": 1}, "normal"),
            (BURGER, "rush"),
        ],
    )
    def test_same_external_id_with_another_payload_is_a_conflict(
        self, kp: Harness, items: dict[str, int], priority: str
    ) -> None:
        kp.kitchen.confirm_order(BURGER, "ext-9")
        head = kp.kitchen.head_position()
        with pytest.raises(Conflict, match="ext-9"):
            kp.kitchen.confirm_order(items, "ext-9", priority)
        assert kp.kitchen.head_position() == head

    @pytest.mark.parametrize(
        ("items", "error", "match"),
        [
            ({"pizza": 1}, UnknownItem, "no recipe for item 'pizza'"),
            ({"burger_combo": 1, "pizza": 1, "sushi": 2}, UnknownItem, "'pizza', 'sushi'"),
            ({"burger_combo": 0}, InvalidQuantity, "from 1 to 50, got 0"),
            ({"burger_combo": -1}, InvalidQuantity, "got -1"),
            ({"burger_combo": 51}, InvalidQuantity, "from 1 to 50, got 51"),
            ({"burger_combo": True}, InvalidQuantity, "got True"),
            ({"burger_combo": 1.0}, InvalidQuantity, "got 1.0"),
            ({}, InvalidOrder, "at least one item"),
            ({f"item{n}": 1 for n in range(101)}, InvalidOrder, "at most 100 lines"),
        ],
    )
    def test_bad_orders_are_refused_and_record_nothing(
        self, kp: Harness, items: dict[str, Any], error: type[KitchenError], match: str
    ) -> None:
        head = kp.kitchen.head_position()
        with pytest.raises(error, match=match):
            kp.kitchen.confirm_order(items, "ext-bad")
        assert kp.kitchen.head_position() == head
        with pytest.raises(NotFound):
            kp.kitchen.get_order(ids.order_id("ext-bad"))

    def test_fifty_is_the_largest_quantity(self, kp: Harness) -> None:
        order = kp.confirm({"burger_combo": 50})
        assert len(order.tasks) == 200

    def test_an_order_too_large_in_tasks_is_refused(self, kp: Harness) -> None:
        steps = [RecipeStep(n, f"garnish {n}", "adhoc", None, 5, 1) for n in range(1, 51)]
        kp.kitchen.define_recipe("tasting_menu", steps, [])
        head = kp.kitchen.head_position()
        with pytest.raises(InvalidQuantity, match="2500 tasks; the limit is 2000"):
            kp.kitchen.confirm_order({"tasting_menu": 50}, "ext-big")
        assert kp.kitchen.head_position() == head

    @pytest.mark.parametrize(("external", "match"), [("", "1-128"), ("x" * 129, "1-128")])
    def test_bad_external_ids_are_refused(self, kp: Harness, external: str, match: str) -> None:
        head = kp.kitchen.head_position()
        with pytest.raises(InvalidOrder, match=match):
            kp.kitchen.confirm_order(BURGER, external)
        assert kp.kitchen.head_position() == head

    def test_bad_priority_is_refused(self, kp: Harness) -> None:
        with pytest.raises(InvalidOrder, match="priority"):
            kp.kitchen.confirm_order(BURGER, "ext-1", "urgent")

    def test_rush_orders_are_boosted(self, kp: Harness) -> None:
        normal = kp.confirm(BURGER)
        rush, _ = kp.kitchen.confirm_order({"dip_cup": 1}, None, "rush")
        assert rush.tasks[0].priority == 6 + 25
        kp.drain()
        assert kp.kitchen.queue.top(1)[0].task_id == rush.tasks[0].task_id
        assert normal.tasks[0].priority == 20

    def test_concurrent_identical_confirms_create_one_order(self, kp: Harness) -> None:
        results = run_together(
            [lambda: kp.kitchen.confirm_order(BURGER, "ext-race") for _ in range(4)]
        )
        assert sorted(created for _, created in results) == [False, False, False, True]
        assert {view.order_id for view, _ in results} == {ids.order_id("ext-race")}
        assert kp.event_types()["ORDER_CONFIRMED"] == 1

    @pytest.mark.parametrize(
        ("ours", "created_or_error"), [(BURGER, False), ({"wrap": 1}, Conflict)]
    )
    def test_a_confirm_that_loses_the_race_answers_from_the_winner(
        self,
        kp: Harness,
        monkeypatch: pytest.MonkeyPatch,
        ours: dict[str, int],
        created_or_error: bool | type[KitchenError],
    ) -> None:
        """Both see no order; the rival commits first; ours conflicts on save and the retry
        finds the recorded order: created False (same payload) or Conflict (another one),
        never a raw database error."""
        kitchen = kp.kitchen
        real_save = kitchen.save
        saves = {"count": 0, "conflicts": 0}

        def save_after_the_rival(*objs: Any, **kwargs: Any) -> Any:
            saves["count"] += 1
            if saves["count"] == 1:
                kitchen.confirm_order(BURGER, "ext-race")  # the rival
            try:
                return real_save(*objs, **kwargs)
            except RecordConflictError:
                saves["conflicts"] += 1
                raise

        monkeypatch.setattr(kitchen, "save", save_after_the_rival)
        if created_or_error is False:
            view, created = kitchen.confirm_order(ours, "ext-race")
            assert (view.order_id, created) == (ids.order_id("ext-race"), False)
        else:
            with pytest.raises(Conflict):
                kitchen.confirm_order(ours, "ext-race")
        monkeypatch.undo()
        assert saves["conflicts"] == 1
        assert kp.event_types()["ORDER_CONFIRMED"] == 1
        assert kp.order(ids.order_id("ext-race")).items == BURGER

    def test_orders_list_newest_first_with_a_cursor(self, kp: Harness) -> None:
        made = []
        for n in range(7):
            made.append(kp.confirm({"dip_cup": 1}, f"list-{n}").order_id)
            if n % 3 == 2:
                kp.clock.advance(1)  # some orders share a confirm time
        kp.drain()
        seen: list[UUID] = []
        cursor: str | None = None
        pages = 0
        while True:
            page, cursor = kp.kitchen.list_orders(limit=3, cursor=cursor)
            seen.extend(o.order_id for o in page)
            pages += 1
            if cursor is None:
                break
        assert pages == 3
        assert sorted(seen) == sorted(made)
        assert len(seen) == len(set(seen))
        created = [kp.order(o).created_at for o in seen]
        assert created == sorted(created, reverse=True)
        with pytest.raises(InvalidOrder, match="cursor"):
            kp.kitchen.list_orders(cursor="not-a-cursor")

    def test_queue_view_shows_the_dispatch_age(self, kp: Harness) -> None:
        for name in ("Asha", "Noah"):
            kp.kitchen.set_break(kp.staff(name).staff_id, True)
        order = kp.confirm(BURGER)
        kp.clock.advance(30)
        rushed = kp.confirm({"dip_cup": 1}, priority="rush")
        kp.drain()
        kp.clock.advance(10)
        view = kp.kitchen.queue_view()
        # The rushed dip cup counts as 180 s older: it goes first, 190 s of dispatch age.
        assert [q.task.task_id for q in view][:2] == [
            rushed.tasks[0].task_id,
            order.tasks[2].task_id,  # then the burger's longest branch (fries)
        ]
        assert view[0].dispatch_age_secs == pytest.approx(190)
        assert view[1].dispatch_age_secs == pytest.approx(40)
        # The first version's aged priority is still shown: fries 18 + 0.14·40.
        assert view[1].aged_priority == pytest.approx(18 + 0.14 * 40)

    # -- allocation and execution --------------------------------------------------------------

    def test_lifecycle_allocate_start_complete(self, kp: Harness) -> None:
        order = kp.confirm(BURGER)
        kp.settle()
        patty, bun, fries, assemble = kp.tasks(order.order_id)
        assert (patty.status, bun.status, fries.status) == ("ASSIGNED", "ASSIGNED", "ASSIGNED")
        assert assemble.status == "UNASSIGNED"
        assert kp.order(order.order_id).status == "IN_PROGRESS"
        assert kp.kitchen.queue.size() == 0
        holders = kp.kitchen.station_holders()
        assert set(holders["griller"]) == {patty.task_id, bun.task_id}
        assert set(holders["grill-1"]) == {patty.task_id, bun.task_id}
        assert holders["fryer-1"] == [fries.task_id]

        kp.clock.advance(5)
        view = kp.kitchen.start_task(patty.task_id, patty.assigned_staff_id)
        assert view.status == "STARTED"
        assert view.started_at == kp.clock.now()
        kp.clock.advance(60)
        done = kp.kitchen.complete_task(patty.task_id)
        assert done.status == "COMPLETED"
        assert kp.order(order.order_id).status == "PART_COMPLETED"
        assert patty.task_id not in kp.kitchen.station_holders()["griller"]
        assert patty.assigned_staff is not None
        cook = kp.staff(patty.assigned_staff)
        assert patty.task_id not in cook.active_tasks
        assert cook.active_secs == 60
        # Efficiency: 0.85·old + 0.15·(80/60).
        old = {"Asha": 1.10, "Noah": 1.00}[patty.assigned_staff]
        assert cook.efficiency_multiplier == pytest.approx(0.85 * old + 0.15 * 80 / 60)

    def test_assemble_waits_for_all_its_parents(self, kp: Harness) -> None:
        order = kp.confirm(BURGER)
        kp.settle()
        patty, bun, fries, assemble = kp.tasks(order.order_id)
        for task in (patty, bun):
            kp.kitchen.start_task(task.task_id)
            kp.kitchen.complete_task(task.task_id)
            kp.settle()
            current = kp.step(order.order_id, 4)
            assert current.status == "UNASSIGNED"
            assert not current.is_ready
        assert kp.step(order.order_id, 4).pending_deps == 1
        assert assemble.task_id not in {e.task_id for e in kp.kitchen.queue.top(100)}
        kp.kitchen.start_task(fries.task_id)
        kp.kitchen.complete_task(fries.task_id)
        kp.drain()
        assemble = kp.step(order.order_id, 4)
        assert assemble.is_ready
        assert assemble.ready_at == kp.clock.now()
        assert [e.task_id for e in kp.kitchen.queue.top(10)] == [assemble.task_id]
        kp.settle()
        assemble = kp.step(order.order_id, 4)
        assert assemble.status == "ASSIGNED"
        assert assemble.assigned_staff in {"Ravi", "Noah"}  # the adhoc cooks
        kp.kitchen.start_task(assemble.task_id)
        kp.kitchen.complete_task(assemble.task_id)
        final = kp.order(order.order_id)
        assert final.status == "COMPLETED"
        assert final.completed_at == kp.clock.now()

    def test_only_the_assigned_cook_may_start(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        someone_else = next(s for s in kp.kitchen.list_staff() if s.name != task.assigned_staff)
        with pytest.raises(Forbidden):
            kp.kitchen.start_task(task.task_id, someone_else.staff_id)
        assert kp.kitchen.get_task(task.task_id).status == "ASSIGNED"

    def test_start_and_complete_out_of_turn_are_invalid(self, kp: Harness) -> None:
        order = kp.confirm(BURGER)
        assemble = order.tasks[3]
        head = kp.kitchen.head_position()
        with pytest.raises(InvalidTransition):
            kp.kitchen.start_task(assemble.task_id)
        with pytest.raises(InvalidTransition):
            kp.kitchen.complete_task(assemble.task_id)
        kp.settle()
        patty = kp.step(order.order_id, 1)
        with pytest.raises(InvalidTransition):
            kp.kitchen.complete_task(patty.task_id)
        kp.kitchen.start_task(patty.task_id)
        kp.kitchen.complete_task(patty.task_id)
        with pytest.raises(InvalidTransition):
            kp.kitchen.complete_task(patty.task_id)
        with pytest.raises(NotFound):
            kp.kitchen.start_task(ids.order_id("nope"))
        assert kp.event_types(after=head)["TASK_COMPLETED"] == 1

    def test_started_task_completes_itself_at_its_due_time(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(task.task_id)
        started_at = kp.clock.now()
        kp.advance(11.5)
        assert kp.kitchen.get_task(task.task_id).status == "STARTED"
        kp.advance(0.5)  # the 12 s estimate is up
        done = kp.kitchen.get_task(task.task_id)
        assert done.status == "COMPLETED"
        assert done.completed_at == started_at + timedelta(seconds=12)
        assert kp.order(order.order_id).status == "COMPLETED"

    def test_auto_complete_is_idempotent(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(task.task_id)
        kp.clock.advance(3)
        kp.kitchen.complete_task(task.task_id)  # the cook was quicker than the timer
        head = kp.kitchen.head_position()
        assert kp.kitchen.auto_complete(task.task_id, 1) is False
        kp.advance(60)  # the timer fires anyway: nothing happens
        assert kp.kitchen.auto_complete(task.task_id, 1) is False
        assert kp.kitchen.auto_complete(ids.order_id("unknown"), 1) is False
        assert kp.kitchen.head_position() == head
        assert kp.event_types()["TASK_COMPLETED"] == 1
        assert kp.kitchen.get_task(task.task_id).completed_at is not None

    def test_auto_complete_of_an_assigned_task_does_nothing(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        assert kp.kitchen.auto_complete(task.task_id, 1) is False
        assert kp.kitchen.get_task(task.task_id).status == "ASSIGNED"

    def test_due_completions_go_in_one_save_each_as_auto_complete_would(
        self, kp: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A burger's three first steps (two on one grill cook, sharing its order) completed
        together: one save; the order, the cooks and the stations as after three
        ``auto_complete`` calls; the assemble step ready; a stale start number, a task
        not started and an unknown id are each a False, not a failure."""
        order = kp.confirm(BURGER)
        kp.settle()
        patty, bun, fries, assemble = kp.tasks(order.order_id)
        for task in (patty, bun, fries):
            kp.kitchen.start_task(task.task_id)
        kp.clock.advance(100)
        saves: list[int] = []
        real_save = kp.kitchen.save

        def counting(*aggregates: Any, **kwargs: Any) -> Any:
            saves.append(len(aggregates))
            return real_save(*aggregates, **kwargs)

        monkeypatch.setattr(kp.kitchen, "save", counting)
        done = kp.kitchen.auto_complete_many(
            [
                (patty.task_id, 1),
                (bun.task_id, 2),  # started once only: a stale timer
                (fries.task_id, 1),
                (assemble.task_id, 1),  # waiting, never started
                (ids.order_id("unknown"), 1),
                (bun.task_id, 1),
            ]
        )
        assert done == [True, False, True, False, False, True]
        assert len(saves) == 1
        monkeypatch.undo()
        kp.drain()
        statuses = [t.status for t in kp.tasks(order.order_id)]
        assert statuses == ["COMPLETED", "COMPLETED", "COMPLETED", "UNASSIGNED"]
        assert kp.kitchen.get_task(assemble.task_id).is_ready
        assert kp.order(order.order_id).status == "PART_COMPLETED"
        holders = kp.kitchen.station_holders()
        assert [holders[n] for n in ("griller", "grill-1", "fryer-1")] == [[], [], []]
        for name in {patty.assigned_staff, fries.assigned_staff}:
            assert name is not None
            assert kp.staff(name).active_tasks == []
        assert kp.event_types()["TASK_COMPLETED"] == 3
        # Nothing left to do: the same timers again change nothing.
        head = kp.kitchen.head_position()
        assert kp.kitchen.auto_complete_many([(patty.task_id, 1), (fries.task_id, 1)]) == [
            False,
            False,
        ]
        assert kp.kitchen.head_position() == head

    # -- requeue -------------------------------------------------------------------------------

    def test_requeue_stale_sends_the_task_back_boosted(self, kp: Harness) -> None:
        kp.kitchen.set_break(kp.staff("Noah").staff_id, True)
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, True)
        order = kp.confirm({"dip_cup": 1})
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, False)
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        assert (task.status, task.assigned_staff, task.assignment_no) == ("ASSIGNED", "Ravi", 1)
        assert kp.kitchen.requeue_stale(task.task_id, 1) is True
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, True)  # nobody may take it again yet
        kp.settle()
        requeued = kp.kitchen.get_task(task.task_id)
        assert requeued.status == "UNASSIGNED"
        assert requeued.is_ready
        assert requeued.priority == task.priority + 10
        assert requeued.requeue_count == 1
        assert kp.staff("Ravi").active_tasks == []
        assert task.task_id not in kp.kitchen.station_holders()["adhoc"]
        assert [e.task_id for e in kp.kitchen.queue.top(5)] == [task.task_id]
        assert kp.kitchen.queue.top(1)[0].priority == task.priority + 10
        # A second, stale timer for the same assignment changes nothing.
        head = kp.kitchen.head_position()
        assert kp.kitchen.requeue_stale(task.task_id, 1) is False
        assert kp.kitchen.head_position() == head
        # The boost stays until the task is assigned again.
        kp.advance(30)
        assert kp.kitchen.get_task(task.task_id).priority == task.priority + 10
        kp.kitchen.set_break(kp.staff("Ravi").staff_id, False)
        kp.settle()
        again = kp.kitchen.get_task(task.task_id)
        assert (again.status, again.assignment_no, again.priority) == (
            "ASSIGNED",
            2,
            task.priority,
        )
        assert kp.kitchen.requeue_stale(task.task_id, 1) is False

    def test_requeued_task_keeps_its_orders_place(self, kp: Harness) -> None:
        first = kp.confirm({"dip_cup": 1})
        kp.settle()
        stale = kp.tasks(first.order_id)[0]
        kp.clock.advance(1)
        later = kp.confirm({"dip_cup": 1})
        kp.clock.advance(1)
        assert kp.kitchen.requeue_stale(stale.task_id, stale.assignment_no)
        for name in ("Ravi", "Noah"):  # nobody takes either before we look
            kp.kitchen.set_break(kp.staff(name).staff_id, True)
        kp.settle()
        order = [e.task_id for e in kp.kitchen.queue.top(5)]
        assert order == [stale.task_id, later.tasks[0].task_id]

    def test_a_task_not_started_within_the_ttl_times_out(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        assigned_at = kp.clock.now()
        kp.advance(44.9)
        assert kp.kitchen.get_task(task.task_id).assignment_no == 1
        kp.advance(0.1)
        again = kp.kitchen.get_task(task.task_id)
        # Requeued at the deadline, then immediately reassigned by the pass it triggered.
        assert again.requeue_count == 1
        assert again.assignment_no == 2
        assert again.status == "ASSIGNED"
        assert again.assigned_at == assigned_at + timedelta(seconds=45)
        requeued = [e for e in kp.events() if e.type == "TASK_REQUEUED"]
        assert [(e.data["assignment_no"], e.data["boost"]) for e in requeued] == [(1, 10.0)]

    def test_a_started_task_does_not_time_out(self, kp: Harness) -> None:
        order = kp.confirm({"burger_combo": 1})
        kp.settle()
        fries = kp.step(order.order_id, 3)
        kp.kitchen.start_task(fries.task_id)
        kp.advance(60)
        task = kp.kitchen.get_task(fries.task_id)
        assert (task.status, task.requeue_count) == ("STARTED", 0)

    # -- cancel --------------------------------------------------------------------------------

    def test_cancel_releases_capacity_and_cook_slots(self, kp: Harness) -> None:
        order = kp.confirm({"burger_combo": 2})
        kp.settle()
        tasks = kp.tasks(order.order_id)
        started = next(t for t in tasks if t.status == "ASSIGNED")
        kp.kitchen.start_task(started.task_id)
        assert any(kp.staff(n).active_tasks for n in ("Asha", "Noah"))
        cancelled = kp.kitchen.cancel_order(order.order_id, "customer left")
        assert cancelled.status == "CANCELLED"
        assert cancelled.cancelled_at == kp.clock.now()
        assert {t.status for t in cancelled.tasks} == {"CANCELLED"}
        kp.settle()
        assert all(not holders for holders in kp.kitchen.station_holders().values())
        assert all(not s.active_tasks for s in kp.kitchen.list_staff())
        assert kp.kitchen.queue.size() == 0
        assert kp.kitchen.auto_complete(started.task_id, 1) is False
        # The capacity is there for the next order.
        other = kp.confirm({"burger_combo": 1})
        kp.settle()
        assert {t.status for t in kp.tasks(other.order_id)[:3]} == {"ASSIGNED"}

    def test_cancel_keeps_completed_tasks_completed(self, kp: Harness) -> None:
        order = kp.confirm(BURGER)
        kp.settle()
        patty = kp.step(order.order_id, 1)
        kp.kitchen.start_task(patty.task_id)
        kp.kitchen.complete_task(patty.task_id)
        cancelled = kp.kitchen.cancel_order(order.order_id)
        assert [t.status for t in cancelled.tasks] == [
            "COMPLETED",
            "CANCELLED",
            "CANCELLED",
            "CANCELLED",
        ]

    def test_cancel_a_completed_or_cancelled_order_is_invalid(self, kp: Harness) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(task.task_id)
        kp.kitchen.complete_task(task.task_id)
        head = kp.kitchen.head_position()
        with pytest.raises(InvalidTransition, match="COMPLETED"):
            kp.kitchen.cancel_order(order.order_id)
        other = kp.confirm({"dip_cup": 1})
        kp.kitchen.cancel_order(other.order_id)
        head = kp.kitchen.head_position()
        with pytest.raises(InvalidTransition, match="already CANCELLED"):
            kp.kitchen.cancel_order(other.order_id)
        assert kp.kitchen.head_position() == head
        with pytest.raises(NotFound):
            kp.kitchen.cancel_order(ids.order_id("nope"))

    # -- resources -----------------------------------------------------------------------------

    def test_machine_down_blocks_new_work_but_work_in_progress_finishes(self, kp: Harness) -> None:
        first = kp.confirm(BURGER)
        kp.settle()
        patty = kp.step(first.order_id, 1)
        kp.kitchen.start_task(patty.task_id)
        down = kp.kitchen.set_machine_up("grill-1", False)
        assert not down.up
        assert down.in_use == 1  # the started patty; the unstarted bun was rerouted
        assert kp.step(first.order_id, 2).status == "UNASSIGNED"
        assert kp.step(first.order_id, 1).interrupted_at == kp.clock.now()
        second = kp.confirm(BURGER)
        kp.settle()
        patty2, bun2, fries2, _ = kp.tasks(second.order_id)
        assert (patty2.status, bun2.status) == ("UNASSIGNED", "UNASSIGNED")
        assert fries2.status == "ASSIGNED"  # the fryer is fine
        result = kp.kitchen.allocate()
        assert result.assigned == []
        assert result.blocked["machine_down_or_full"] == 3
        kp.kitchen.complete_task(patty.task_id)  # in-flight work finishes on a down machine
        assert patty.task_id not in kp.kitchen.station_holders()["grill-1"]
        kp.settle()
        assert kp.step(second.order_id, 1).status == "UNASSIGNED"
        kp.kitchen.set_machine_up("grill-1", True)
        kp.settle()
        assert kp.step(second.order_id, 1).status == "ASSIGNED"
        assert kp.step(second.order_id, 2).status == "ASSIGNED"

    def test_cooks_on_break_get_no_new_work(self, kp: Harness) -> None:
        for name in ("Asha", "Noah"):  # every griller
            kp.kitchen.set_break(kp.staff(name).staff_id, True)
        order = kp.confirm({"wrap": 1})
        kp.settle()
        tortilla, filling, _ = kp.tasks(order.order_id)
        assert tortilla.status == "UNASSIGNED"  # microwave: Noah only
        assert filling.status == "UNASSIGNED"
        result = kp.kitchen.allocate()
        assert result.blocked["no_staff"] == 2
        with pytest.raises(InvalidTransition, match="already on break"):
            kp.kitchen.set_break(kp.staff("Asha").staff_id, True)
        kp.kitchen.set_break(kp.staff("Noah").staff_id, False)
        kp.settle()
        assert {t.assigned_staff for t in kp.tasks(order.order_id)[:2]} == {"Noah"}

    def test_a_cook_off_shift_gets_no_work(self, kp: Harness) -> None:
        shift = kp.clock.now()
        start = (shift.replace(hour=(shift.hour + 2) % 24)).strftime("%H:%M")
        end = (shift.replace(hour=(shift.hour + 4) % 24)).strftime("%H:%M")
        for name in ("Ravi", "Noah"):
            kp.kitchen.update_staff(kp.staff(name).staff_id, shift_start=start, shift_end=end)
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        assert kp.tasks(order.order_id)[0].status == "UNASSIGNED"
        kp.advance(2 * 3600)
        assert kp.tasks(order.order_id)[0].status == "ASSIGNED"

    def test_max_parallel_is_respected(self, kp: Harness) -> None:
        kp.confirm({"burger_combo": 10, "wrap": 5, "cold_coffee": 5, "dip_cup": 10})
        kp.settle()
        for cook in kp.kitchen.list_staff():
            assert len(cook.active_tasks) == cook.max_parallel
        for station in kp.kitchen.list_stations("counter") + kp.kitchen.list_stations("machine"):
            assert station.in_use <= station.capacity

    def test_counter_capacity_cannot_drop_below_its_holders(self, kp: Harness) -> None:
        kp.confirm({"dip_cup": 3})
        kp.settle()
        kp.kitchen.change_counter_capacity("adhoc", 50)
        with pytest.raises(CapacityExceeded):
            kp.kitchen.change_counter_capacity("adhoc", 1)

    def test_recipe_revision_does_not_change_confirmed_orders(self, kp: Harness) -> None:
        before = kp.confirm(BURGER)
        steps = [
            RecipeStep(1, "grill patty", "griller", "grill-1", 120, 30),
            RecipeStep(2, "assemble burger", "adhoc", "packing-1", 20, 10),
        ]
        view, created = kp.kitchen.define_recipe("burger_combo", steps, [])
        assert not created
        assert view.revision == 2
        assert view.effective_dependencies == {1: [], 2: [1]}
        unchanged = kp.order(before.order_id)
        assert unchanged.tasks == before.tasks
        assert [t.estimate_secs for t in unchanged.tasks] == [80, 25, 90, 35]
        after = kp.confirm(BURGER)
        assert [(t.description, t.estimate_secs) for t in after.tasks] == [
            ("grill patty", 120),
            ("assemble burger", 20),
        ]
        assert after.tasks[1].depends_on == [after.tasks[0].task_id]

    def test_retired_recipe_takes_no_new_orders(self, kp: Harness) -> None:
        kp.kitchen.retire_recipe("wrap")
        with pytest.raises(UnknownItem):
            kp.kitchen.confirm_order({"wrap": 1})

    def test_invalid_recipe_records_nothing(self, kp: Harness) -> None:
        head = kp.kitchen.head_position()
        steps = [RecipeStep(1, "fry", "griller", "fryer-1", 10, 1)]
        with pytest.raises(RecipeInvalid, match="belongs to counter 'fryer'"):
            kp.kitchen.define_recipe("bad", steps, [])
        assert kp.kitchen.head_position() == head

    # -- concurrency ---------------------------------------------------------------------------

    def test_interleaved_completions_of_the_last_two_tasks_complete_the_order(
        self, kp: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The second completion loads state, the first commits, the second must retry."""
        order = kp.confirm({"cold_coffee": 1, "dip_cup": 1})
        kp.settle()
        coffee = kp.step(order.order_id, 1, line=0)
        kp.kitchen.start_task(coffee.task_id)
        kp.kitchen.complete_task(coffee.task_id)
        kp.settle()
        cup = kp.step(order.order_id, 2, line=0)
        dip = kp.step(order.order_id, 1, line=1)
        for task in (cup, dip):
            kp.kitchen.start_task(task.task_id)
        kitchen = kp.kitchen
        real_save = kitchen.save
        calls = {"saves": 0, "conflicts": 0}

        def save_after_the_other_commits(*objs: Any, **kwargs: Any) -> Any:
            calls["saves"] += 1
            if calls["saves"] == 1:
                kitchen.complete_task(dip.task_id)  # commits first, on the same old state
            try:
                return real_save(*objs, **kwargs)
            except RecordConflictError:
                calls["conflicts"] += 1
                raise

        monkeypatch.setattr(kitchen, "save", save_after_the_other_commits)
        kitchen.complete_task(cup.task_id)
        monkeypatch.undo()
        assert calls["conflicts"] == 1
        final = kp.order(order.order_id)
        assert final.status == "COMPLETED"
        assert {t.status for t in final.tasks} == {"COMPLETED"}
        assert kp.event_types()["TASK_COMPLETED"] == 3
        assert kp.event_types()["ORDER_TASK_COMPLETED"] == 3
        statuses = [e.data["new_status"] for e in kp.events() if e.type == "ORDER_STATUS_CHANGED"]
        assert statuses == ["IN_PROGRESS", "PART_COMPLETED", "COMPLETED"]

    def test_concurrent_completions_of_the_last_two_tasks_complete_the_order(
        self, kp: Harness
    ) -> None:
        for attempt in range(5):
            order = kp.confirm({"dip_cup": 2}, f"race-{attempt}")
            kp.settle()
            tasks = kp.tasks(order.order_id)
            for task in tasks:
                kp.kitchen.start_task(task.task_id)
            run_together([partial(kp.kitchen.complete_task, t.task_id) for t in tasks])
            final = kp.order(order.order_id)
            assert final.status == "COMPLETED"
            assert {t.status for t in final.tasks} == {"COMPLETED"}
            kp.settle()
        assert kp.event_types()["TASK_COMPLETED"] == 10

    def test_interleaved_allocation_passes_never_overbook_a_cook(
        self, kp: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Pass B plans and commits on the state pass A planned on; A must retry on fresh state
        (the old system's passes on different counters both booked the same cook)."""
        kp.confirm({"burger_combo": 3, "wrap": 3, "cold_coffee": 2, "dip_cup": 4})
        kp.drain()
        kitchen = kp.kitchen
        real_save = kitchen.save
        calls = {"saves": 0, "conflicts": 0}
        inner: list[Any] = []

        def save_after_the_other_pass(*objs: Any, **kwargs: Any) -> Any:
            calls["saves"] += 1
            if calls["saves"] == 1:
                inner.append(kitchen.allocate())
            try:
                return real_save(*objs, **kwargs)
            except RecordConflictError:
                calls["conflicts"] += 1
                raise

        monkeypatch.setattr(kitchen, "save", save_after_the_other_pass)
        outer = kitchen.allocate()
        monkeypatch.undo()
        assert calls["conflicts"] == 1
        assert outer.attempts == 2
        assert len(inner[0].assigned) == 7  # every cook slot (3 + 2 + 2)
        assert outer.assigned == []  # on fresh state there is nothing left to give
        assert_within_limits(kitchen)

    def test_concurrent_allocation_passes_respect_every_limit(self, kp: Harness) -> None:
        kp.confirm({"burger_combo": 8, "wrap": 6, "cold_coffee": 4, "dip_cup": 8})
        kp.drain()
        results = run_together([kp.kitchen.allocate for _ in range(4)])
        assigned = [a.task_id for r in results for a in r.assigned]
        assert len(assigned) == len(set(assigned))  # nothing assigned twice
        assert_within_limits(kp.kitchen)
        kp.settle()  # later passes fill whatever is left, still within limits
        assert_within_limits(kp.kitchen)
        for cook in kp.kitchen.list_staff():
            assert len(cook.active_tasks) == cook.max_parallel
        assert_consistent(kp.kitchen)

    def test_concurrent_commands_keep_the_kitchen_consistent(self, kp: Harness) -> None:
        """Passes, starts, completions and cancels race on threads; every command either
        commits on fresh state or fails cleanly, and the kitchen stays consistent."""
        orders = [kp.confirm({"burger_combo": 1, "wrap": 1, "dip_cup": 1}) for _ in range(8)]
        kp.settle()
        lock = threading.Lock()
        failures: list[str] = []

        def worker(kind: str, seed: int) -> None:
            for n in range(25):
                try:
                    if kind == "allocate":
                        kp.kitchen.allocate()
                    elif kind == "cancel" and n % 8 == 0:
                        kp.kitchen.cancel_order(orders[(seed + n) % len(orders)].order_id)
                    else:
                        status = "STARTED" if (n + seed) % 2 else "ASSIGNED"
                        rows = kp.kitchen.read_model.list_tasks(status, None, None, 100)
                        if rows:
                            task_id = rows[(n * 7 + seed) % len(rows)].task_id
                            if status == "ASSIGNED":
                                kp.kitchen.start_task(task_id)
                            else:
                                kp.kitchen.complete_task(task_id)
                    with lock:
                        kp.drain()
                except (KitchenError, RecordConflictError) as exc:
                    failures.append(type(exc).__name__)  # refused or outraced: nothing written

        kinds = ["allocate", "allocate", "work", "work", "work", "cancel"]
        run_together([partial(worker, kind, seed) for seed, kind in enumerate(kinds)])
        kp.settle()
        assert_consistent(kp.kitchen)
        assert kp.event_types()["TASK_COMPLETED"] > 0

    # -- snapshots -------------------------------------------------------------------------------

    def test_long_lived_aggregates_are_snapshotted(self, tmp_path: Path) -> None:
        """Every ``snapshot_every`` events a station, cook or order is snapshotted, so loading
        one reads a snapshot plus fewer than ``snapshot_every`` events, however old it is."""
        kp = build_harness(self.persistence, tmp_path / "snap", snapshot_every=10)
        try:
            big = kp.confirm({"dip_cup": 12}, "snap-big")
            for n in range(12):
                order = kp.confirm({"dip_cup": 1}, f"snap-{n}")
                kp.settle()
                for task in kp.tasks(order.order_id) + kp.tasks(big.order_id):
                    if task.status == "ASSIGNED":
                        kp.kitchen.start_task(task.task_id)
                        kp.kitchen.complete_task(task.task_id)
            kp.settle()
            assert kp.order(big.order_id).status == "COMPLETED"
            kitchen = kp.kitchen
            assert kitchen.snapshots is not None
            adhoc = kitchen.station("adhoc")
            assert adhoc.version > 40
            cook = ids.staff_id("Ravi")
            for aggregate_id in (adhoc.id, cook, big.order_id):
                snapshots = list(kitchen.snapshots.get(aggregate_id, desc=True, limit=1))
                assert snapshots, "no snapshot was taken"
                newest = snapshots[0].originator_version
                live: Any = kitchen.repository.get(aggregate_id)
                assert newest % 10 == 0
                tail = list(kitchen.events.get(aggregate_id, gt=newest))
                assert len(tail) < 10
                assert newest + len(tail) == live.version
                # Rebuilt from the snapshot and its tail, it equals the live state.
                rebuilt: Any = kitchen.repository.get(aggregate_id, version=live.version)
                assert vars(rebuilt) == vars(live)
            order = kitchen.repository.get(
                big.order_id, version=kitchen.order(big.order_id).version
            )
            assert order.status == "COMPLETED"
            assert kitchen.get_order(big.order_id).status == "COMPLETED"
        finally:
            kp.close()


def run_together(commands: list[Callable[[], Any]]) -> list[Any]:
    """Run commands on threads released at the same instant; re-raise the first failure."""
    barrier = threading.Barrier(len(commands))
    results: list[Any] = [None] * len(commands)
    errors: list[BaseException] = []

    def run(index: int, command: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = command()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(commands)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def assert_within_limits(kitchen: Kitchen) -> None:
    for station in kitchen.stations().values():
        assert len(station.holders) <= station.capacity, station.name
        assert len(set(station.holders)) == len(station.holders)
    for cook in kitchen.all_staff():
        assert isinstance(cook, Staff)
        assert len(cook.active_tasks) <= cook.max_parallel, cook.name


def assert_consistent(kitchen: Kitchen) -> None:
    """Holders are exactly the open tasks of a station, active tasks exactly a cook's open
    tasks; an order is COMPLETED exactly when its tasks are; no task completed twice."""
    assert_within_limits(kitchen)
    holders: dict[str, set[UUID]] = {name: set() for name in kitchen.stations()}
    active: dict[UUID, set[UUID]] = {cook.id: set() for cook in kitchen.all_staff()}
    completions: dict[UUID, int] = {}
    after = 0
    while batch := kitchen.event_log(after, 1000):
        for env in batch:
            if env.type == "TASK_COMPLETED" and env.task_id is not None:
                completions[env.task_id] = completions.get(env.task_id, 0) + 1
        after = batch[-1].notification_id
    assert all(n == 1 for n in completions.values())
    for row in kitchen.read_model.list_orders(None, 1_000_000, None):
        order = kitchen.get_order(row.order_id)
        done = {t.task_id for t in order.tasks if t.status == "COMPLETED"}
        assert (order.status == "COMPLETED") == (len(done) == len(order.tasks))
        assert done == {t for t in completions if t in {x.task_id for x in order.tasks}}
        for task in order.tasks:
            if task.status in ("ASSIGNED", "STARTED"):
                assert task.assigned_staff_id is not None
                active[task.assigned_staff_id].add(task.task_id)
                holders[task.counter].add(task.task_id)
                if task.assigned_machine:
                    holders[task.assigned_machine].add(task.task_id)
    for name, station in kitchen.stations().items():
        assert set(station.holders) == holders[name], name
    for cook in kitchen.all_staff():
        assert set(cook.active_tasks) == active[cook.id], cook.name


class TestKitchenPopo(KitchenScenarios):
    persistence = "popo"


class TestKitchenSqlite(KitchenScenarios):
    persistence = "sqlite"

    def test_restart_sees_identical_state_and_rearms_timers(self, tmp_path: Path) -> None:
        kp = build_harness("sqlite", tmp_path)
        order = kp.confirm({"burger_combo": 1, "dip_cup": 1})
        kp.settle()
        fries = kp.step(order.order_id, 3)
        dip = kp.step(order.order_id, 1, line=1)
        kp.clock.advance(10)
        kp.kitchen.start_task(fries.task_id)
        started_at = kp.clock.now()
        patty = kp.step(order.order_id, 1)
        assigned_at = patty.assigned_at
        assert assigned_at is not None
        kp.kitchen.start_task(dip.task_id)
        kp.clock.advance(12)
        kp.kitchen.complete_task(dip.task_id)
        kp.settle()
        before = kp.state()
        kp.close()

        again = build_harness("sqlite", tmp_path, kp.clock)  # a new process, same file
        try:
            assert again.state() == before
            pending = again.embedded.scheduler.pending_timers()
            assert f"complete-{fries.task_id}-1" in pending
            assert f"timeout-{patty.task_id}-1" in pending
            # The patty (ASSIGNED) times out at its original deadline, 45 s after assignment.
            deadline = assigned_at.timestamp() + 45
            again.clock.advance(deadline - again.clock.now().timestamp() - 0.5)
            again.settle()
            assert again.kitchen.get_task(patty.task_id).requeue_count == 0
            again.advance(0.5)
            assert again.kitchen.get_task(patty.task_id).requeue_count == 1
            # The fries (STARTED) complete at their original due time, 90 s after start.
            due = started_at.timestamp() + 90
            again.clock.advance(due - again.clock.now().timestamp() - 0.5)
            again.settle()
            assert again.kitchen.get_task(fries.task_id).status == "STARTED"
            again.advance(0.5)
            done = again.kitchen.get_task(fries.task_id)
            assert done.status == "COMPLETED"
            assert done.completed_at is not None
            assert done.completed_at.timestamp() == pytest.approx(due)
        finally:
            again.close()

    def test_a_fresh_kitchen_without_cache_replays_to_the_same_state(self, tmp_path: Path) -> None:
        kp = build_harness("sqlite", tmp_path)
        try:
            order = kp.confirm({"burger_combo": 2, "wrap": 1})
            kp.settle()
            for task in kp.tasks(order.order_id)[:3]:
                if task.status == "ASSIGNED":
                    kp.kitchen.start_task(task.task_id)
            kp.advance(100)
            other = kp.confirm({"cold_coffee": 2})
            kp.settle()
            kp.kitchen.cancel_order(other.order_id)
            kp.settle()
            live = kp.state()
        finally:
            kp.close()  # one writer per data dir: the fresh kitchen opens after it
        fresh = build_harness("sqlite", tmp_path, kp.clock, seed=False)  # replayed from the file
        try:
            fresh.embedded.kitchen.repository.cache = None
            assert fresh.state() == live
        finally:
            fresh.close()
