"""Machine pools through the Kitchen: a step names a kind, the dispatcher uses any live, free
machine of it; a machine going down reroutes its unstarted tasks and lets started ones finish.

One scenario class per persistence backend, as in test_kitchen_scenarios: ``popo`` and
``sqlite`` here, PostgreSQL in tests/integration/postgres/test_postgres_pool_scenarios.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import InvalidResource, RecipeInvalid
from kangaroo_paw.domain.recipes import RecipeStep
from unit.application.kitchen_harness import Harness, build_harness

FRIES = {"fries": 1}


def pool_kitchen(kitchen: Kitchen, capacity: int = 1) -> None:
    """A fry counter with two fryers of kind ``fryer`` (and a salamander of its own kind), one
    cook who can run four tasks, and fries that may go into any fryer."""
    kitchen.add_counter("fry", 8)
    kitchen.add_machine("fryer-b", "fry", capacity, "fryer")
    kitchen.add_machine("fryer-a", "fry", capacity, "fryer")
    kitchen.add_machine("salamander", "fry", 1)
    kitchen.hire_staff("Asha", ["fry"], 4, 1.0, "00:00", "00:00")
    step = RecipeStep(1, "fry fries", "fry", None, 90.0, 10.0, machine_kind="fryer")
    kitchen.define_recipe("fries", [step], [])


class PoolScenarios:
    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path, seed=False)
        pool_kitchen(harness.kitchen)
        harness.settle()
        yield harness
        harness.close()

    def test_machines_show_their_kind_and_steps_their_machine_kind(self, kp: Harness) -> None:
        machines = {m.name: m.machine_kind for m in kp.kitchen.list_stations("machine")}
        assert machines == {"fryer-a": "fryer", "fryer-b": "fryer", "salamander": "salamander"}
        assert kp.kitchen.get_recipe("fries").steps[0]["machine_kind"] == "fryer"

    def test_a_pool_spreads_its_tasks_and_blocks_only_when_every_machine_is_full(
        self, kp: Harness
    ) -> None:
        first = kp.confirm(FRIES, "one")
        assert first.promised_secs is not None
        assert first.promised_secs < 3600  # the forecast places pool tasks too
        kp.advance(1)
        second = kp.confirm(FRIES, "two")
        kp.clock.advance(1)  # the older order goes first
        third = kp.confirm(FRIES, "three")
        kp.settle()
        placed = [kp.tasks(o.order_id)[0] for o in (first, second, third)]
        # The most free slots first, then the name: fryer-a, then the other one.
        assert [t.assigned_machine for t in placed] == ["fryer-a", "fryer-b", None]
        assert [t.machine_kind for t in placed] == ["fryer"] * 3
        assert kp.kitchen.allocate().blocked["machine_down_or_full"] == 1
        holders = kp.kitchen.station_holders()
        assert (len(holders["fryer-a"]), len(holders["fryer-b"])) == (1, 1)

    def test_a_machine_going_down_reroutes_its_unstarted_task_to_the_rest_of_the_pool(
        self, kp: Harness
    ) -> None:
        order = kp.confirm(FRIES, "one")
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        assert (task.assigned_machine, task.assignment_no) == ("fryer-a", 1)
        mark = kp.kitchen.head_position()
        down = kp.kitchen.set_machine_up("fryer-a", False)
        assert (down.up, down.in_use) == (False, 0)
        rerouted = [e for e in kp.events() if e.type == "TASK_REROUTED"]
        assert [(e.task_id, e.data["machine"]) for e in rerouted] == [(task.task_id, "fryer-a")]
        assert kp.staff("Asha").active_tasks == []  # the cook was released with it
        kp.settle()  # no action needed: the reroute asks for a pass
        again = kp.tasks(order.order_id)[0]
        assert (again.status, again.assigned_machine, again.assignment_no) == (
            "ASSIGNED",
            "fryer-b",
            2,
        )
        assert again.requeue_count == 0  # a reroute is no stale requeue
        assert kp.staff("Asha").active_tasks == [task.task_id]
        assert kp.event_types(mark)["TASK_ASSIGNED"] == 1

    def test_a_started_task_runs_on_through_the_outage_and_is_recorded(self, kp: Harness) -> None:
        order = kp.confirm(FRIES, "one")
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(task.task_id)
        down = kp.kitchen.set_machine_up("fryer-a", False)
        assert (down.up, down.in_use) == (False, 1)  # the basket is in the oil
        running = kp.tasks(order.order_id)[0]
        assert (running.status, running.interrupted_at) == ("STARTED", kp.clock.now())
        interrupted = [e for e in kp.events() if e.type == "TASK_INTERRUPTED"]
        assert [e.data["machine"] for e in interrupted] == ["fryer-a"]
        late = kp.confirm(FRIES, "two")
        kp.settle()
        assert kp.tasks(late.order_id)[0].assigned_machine == "fryer-b"
        kp.advance(90)  # its completion timer fires as usual
        assert kp.order(order.order_id).status == "COMPLETED"
        assert kp.kitchen.station_holders().get("fryer-a", []) == []

    def test_ready_tasks_flow_to_the_live_machines_without_any_action(self, kp: Harness) -> None:
        orders = []
        for i in range(3):
            orders.append(kp.confirm(FRIES, f"o{i}"))
            kp.clock.advance(1)
        kp.settle()
        a, b, c = (kp.tasks(o.order_id)[0] for o in orders)
        for t in (a, b):
            kp.kitchen.start_task(t.task_id)
        kp.kitchen.set_machine_up("fryer-a", False)
        kp.kitchen.complete_task(a.task_id)  # fryer-a is free again, but down
        kp.settle()
        assert kp.tasks(orders[2].order_id)[0].status == "UNASSIGNED"
        kp.kitchen.complete_task(b.task_id)
        kp.settle()
        assert kp.tasks(orders[2].order_id)[0].assigned_machine == "fryer-b"
        assert c.status == "UNASSIGNED"

    def test_a_whole_pool_down_holds_its_tasks_until_a_machine_is_back(self, kp: Harness) -> None:
        kp.kitchen.set_machine_up("fryer-a", False)
        kp.kitchen.set_machine_up("fryer-b", False)
        order = kp.confirm(FRIES, "one")
        kp.settle()
        assert kp.tasks(order.order_id)[0].status == "UNASSIGNED"
        kp.kitchen.set_machine_up("fryer-b", True)
        kp.settle()
        assert kp.tasks(order.order_id)[0].assigned_machine == "fryer-b"

    def test_pool_rules_are_checked_and_a_refusal_writes_nothing(self, kp: Harness) -> None:
        head = kp.kitchen.head_position()
        bad = [
            (RecipeStep(1, "fry", "fry", "fryer-a", 9.0, 1.0, machine_kind="fryer"), "not both"),
            (RecipeStep(1, "fry", "fry", None, 9.0, 1.0, machine_kind="oven"), "no machine of"),
        ]
        for step, message in bad:
            with pytest.raises(RecipeInvalid, match=message):
                kp.kitchen.define_recipe("chips", [step], [])
        kp.kitchen.add_counter("grill", 2)
        kp.kitchen.add_machine("grill-1", "grill", 1, "griddle")
        elsewhere = RecipeStep(1, "fry", "fry", None, 9.0, 1.0, machine_kind="griddle")
        with pytest.raises(RecipeInvalid, match="counter 'fry' has no machine of kind"):
            kp.kitchen.define_recipe("chips", [elsewhere], [])
        mark = kp.kitchen.head_position()
        assert mark > head  # the counter and the machine were recorded, nothing else
        for kind in ("", "two words", "x" * 65, "a.b"):
            with pytest.raises(InvalidResource, match="machine kind"):
                kp.kitchen.add_machine("fryer-c", "fry", 1, kind)
        assert kp.kitchen.head_position() == mark


class TestPoolsPopo(PoolScenarios):
    persistence = "popo"


class TestPoolsSqlite(PoolScenarios):
    persistence = "sqlite"

    def test_kinds_and_pool_tasks_survive_a_restart(self, kp: Harness, tmp_path: Path) -> None:
        order = kp.confirm(FRIES, "one")
        kp.settle()
        kp.kitchen.set_machine_up("fryer-a", False)
        kp.settle()
        before = kp.state()
        kp.close()
        again = build_harness(self.persistence, tmp_path, kp.clock, seed=False)
        try:
            assert again.state() == before
            task = again.tasks(order.order_id)[0]
            assert (task.machine_kind, task.assigned_machine) == ("fryer", "fryer-b")
        finally:
            again.close()
