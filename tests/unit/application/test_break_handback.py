"""A cook going on break (or off shift by a change) hands back what they have not started: in
the break's own save, the task goes back to the queue at its place and every slot it held
(cook, counter, machine) is free at once, not when the stale-assignment timeout fires.

One scenario class per persistence backend: ``popo`` and ``sqlite`` here, PostgreSQL in
tests/integration/postgres/test_postgres_break_handback.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
from eventsourcing.persistence import RecordConflictError

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import InvalidTransition
from kangaroo_paw.domain.recipes import RecipeStep
from unit.application.kitchen_harness import Harness, build_harness

SHOT_AND_TOAST = {"shot": 1, "toast": 1}


def cafe(kitchen: Kitchen) -> None:
    """A bar with one espresso machine (two groups), two baristas who can each run two tasks;
    a shot needs the machine, toast only the bar."""
    kitchen.add_counter("bar", 4)
    kitchen.add_machine("espresso", "bar", 2)
    kitchen.hire_staff("Ana", ["bar"], 2, 1.0, "00:00", "00:00")
    kitchen.hire_staff("Ben", ["bar"], 2, 1.0, "00:00", "00:00")
    kitchen.define_recipe("shot", [RecipeStep(1, "pull shot", "bar", "espresso", 30.0, 10.0)], [])
    kitchen.define_recipe("toast", [RecipeStep(1, "toast", "bar", None, 60.0, 10.0)], [])


class BreakHandBackScenarios:
    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path, seed=False)
        cafe(harness.kitchen)
        harness.kitchen.set_break(harness.staff("Ben").staff_id, True)  # Ana alone for now
        harness.settle()
        yield harness
        harness.close()

    def _shot_and_toast(self, kp: Harness) -> tuple[UUID, UUID]:
        """An order whose shot and toast are both Ana's, the toast started."""
        order = kp.confirm(SHOT_AND_TOAST, "first")
        kp.settle()
        shot, toast = (kp.step(order.order_id, 1, line=n) for n in (0, 1))
        assert (shot.item_key, toast.item_key) == ("shot", "toast")
        assert {shot.assigned_staff, toast.assigned_staff} == {"Ana"}
        kp.kitchen.start_task(toast.task_id)
        return shot.task_id, toast.task_id

    def test_a_break_hands_back_the_unstarted_task_and_frees_its_slots(self, kp: Harness) -> None:
        shot, toast = self._shot_and_toast(kp)
        kp.clock.advance(1)  # a younger order
        later = kp.confirm({"shot": 1}, "second")  # Ana is full: it waits behind
        kp.settle()
        waiting = kp.tasks(later.order_id)[0].task_id
        kp.drain()
        kitchen = kp.kitchen
        saves: list[int] = []
        real_save = kitchen.save

        def counted(*objs: Any, **kwargs: Any) -> Any:
            saves.append(len(objs))
            return real_save(*objs, **kwargs)

        kitchen.save = counted  # type: ignore[method-assign]
        mark = kitchen.head_position()
        view = kitchen.set_break(kp.staff("Ana").staff_id, True)
        kitchen.save = real_save  # type: ignore[method-assign]
        assert len(saves) == 1  # the break and the hand-back are one atomic save
        assert (view.on_break, view.active_tasks) == (True, [toast])  # the toast goes on
        back = kitchen.get_task(shot)
        assert (back.status, back.assigned_staff, back.assigned_machine) == (
            "UNASSIGNED",
            None,
            None,
        )
        assert back.requeue_count == 0
        holders = kitchen.station_holders()
        assert (holders.get("espresso", []), holders["bar"]) == ([], [toast])
        events = [e for e in kp.events() if e.notification_id > mark]
        assert [e.type for e in events].count("STAFF_BREAK_STARTED") == 1
        handed = [e for e in events if e.type == "TASK_HANDED_BACK"]
        assert [(e.task_id, e.data["reason"], e.data["assignment_no"]) for e in handed] == [
            (shot, "break", 1)
        ]
        assert "TASK_REQUEUED" not in {e.type for e in events}
        kp.settle()  # nobody is free: both wait, the older order's shot first (its place)
        assert [e.task_id for e in kitchen.queue.top(10)] == [shot, waiting]
        kitchen.set_break(kp.staff("Ben").staff_id, False)
        kp.settle()
        placed = [kitchen.get_task(t) for t in (shot, waiting)]
        assert [(t.status, t.assigned_staff, t.assignment_no) for t in placed] == [
            ("ASSIGNED", "Ben", 2),
            ("ASSIGNED", "Ben", 1),
        ]

    def test_the_hand_back_asks_for_a_pass_and_another_cook_takes_it(self, kp: Harness) -> None:
        shot, _ = self._shot_and_toast(kp)
        kp.kitchen.set_break(kp.staff("Ben").staff_id, False)
        kp.settle()  # nothing was waiting: Ben stays idle
        assert kp.staff("Ben").active_tasks == []
        kp.kitchen.set_break(kp.staff("Ana").staff_id, True)
        kp.settle()  # no other action: the hand-back's event triggers the pass
        again = kp.kitchen.get_task(shot)
        assert (again.status, again.assigned_staff, again.assigned_machine) == (
            "ASSIGNED",
            "Ben",
            "espresso",
        )
        assert kp.kitchen.station_holders()["espresso"] == [shot]

    def test_a_shift_changed_to_exclude_now_hands_back_too(self, kp: Harness) -> None:
        shot, toast = self._shot_and_toast(kp)
        ana = kp.staff("Ana").staff_id
        kp.kitchen.update_staff(ana, max_parallel=3)  # still on shift: nothing moves
        assert kp.kitchen.get_task(shot).status == "ASSIGNED"
        now = kp.clock.now()
        start, end = ((now.replace(hour=(now.hour + h) % 24)).strftime("%H:%M") for h in (2, 4))
        mark = kp.kitchen.head_position()
        view = kp.kitchen.update_staff(ana, shift_start=start, shift_end=end)
        assert (view.on_shift, view.active_tasks) == (False, [toast])
        handed = [e for e in kp.events() if e.notification_id > mark]
        assert [(e.task_id, e.data["reason"]) for e in handed if e.type == "TASK_HANDED_BACK"] == [
            (shot, "off_shift")
        ]
        assert kp.kitchen.get_task(shot).status == "UNASSIGNED"
        assert kp.kitchen.station_holders().get("espresso", []) == []

    def test_a_start_that_wins_the_race_keeps_the_task(
        self, kp: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The start commits between the break's load and its save: the break's save
        conflicts, it retries on fresh state and finds the task started, so it keeps it."""
        shot, toast = self._shot_and_toast(kp)
        kitchen = kp.kitchen
        conflicts = self._rival_before_first_save(
            kitchen, monkeypatch, lambda: kitchen.start_task(shot)
        )
        view = kitchen.set_break(kp.staff("Ana").staff_id, True)
        monkeypatch.undo()
        assert len(conflicts) == 1  # one save lost and was retried
        assert (view.on_break, sorted(view.active_tasks)) == (True, sorted([shot, toast]))
        assert kitchen.get_task(shot).status == "STARTED"
        assert kitchen.station_holders()["espresso"] == [shot]
        assert kp.event_types()["TASK_HANDED_BACK"] == 0
        self._nothing_lost_or_double_held(kp, shot)

    def test_a_break_that_wins_the_race_voids_the_start(
        self, kp: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The break commits between the start's load and its save: the start's save
        conflicts, its retry finds the task handed back and refuses to start it."""
        shot, toast = self._shot_and_toast(kp)
        kitchen = kp.kitchen
        ana = kp.staff("Ana").staff_id
        conflicts = self._rival_before_first_save(
            kitchen, monkeypatch, lambda: kitchen.set_break(ana, True)
        )
        with pytest.raises(InvalidTransition, match="only an ASSIGNED task can start"):
            kitchen.start_task(shot)
        monkeypatch.undo()
        assert len(conflicts) == 1  # one save lost and was retried
        assert kitchen.get_task(shot).status == "UNASSIGNED"
        assert kp.staff("Ana").active_tasks == [toast]
        assert kitchen.station_holders().get("espresso", []) == []
        assert kp.event_types()["TASK_HANDED_BACK"] == 1
        self._nothing_lost_or_double_held(kp, shot)

    @staticmethod
    def _rival_before_first_save(
        kitchen: Kitchen, monkeypatch: pytest.MonkeyPatch, rival: Any
    ) -> list[str]:
        """Run ``rival`` just before the first save; return one entry per conflict seen."""
        real_save = kitchen.save
        calls = {"saves": 0}
        conflicts: list[str] = []

        def save_after_the_rival(*objs: Any, **kwargs: Any) -> Any:
            calls["saves"] += 1
            if calls["saves"] == 1:
                rival()
            try:
                return real_save(*objs, **kwargs)
            except RecordConflictError:
                conflicts.append("conflict")
                raise

        monkeypatch.setattr(kitchen, "save", save_after_the_rival)
        return conflicts

    @staticmethod
    def _nothing_lost_or_double_held(kp: Harness, task_id: UUID) -> None:
        """The task is held by exactly one cook or queued exactly once, never both; once
        Ben is back it ends up assigned or started exactly once."""
        kp.settle()
        kitchen = kp.kitchen
        queued = [e.task_id for e in kitchen.queue.top(100)].count(task_id)
        holders = [s.name for s in kitchen.list_staff() if task_id in s.active_tasks]
        assert (queued, len(holders)) in ((1, 0), (0, 1))
        kitchen.set_break(kp.staff("Ben").staff_id, False)
        kp.settle()
        task = kitchen.get_task(task_id)
        holders = [s.name for s in kitchen.list_staff() if task_id in s.active_tasks]
        assert task.status in ("ASSIGNED", "STARTED")
        assert holders == [task.assigned_staff]
        assert kitchen.station_holders()["espresso"] == [task_id]
        assert task_id not in [e.task_id for e in kitchen.queue.top(100)]


class TestBreakHandBackPopo(BreakHandBackScenarios):
    persistence = "popo"


class TestBreakHandBackSqlite(BreakHandBackScenarios):
    persistence = "sqlite"
