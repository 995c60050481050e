"""Ticket content, 86 and back, and all-day counts through the Kitchen service.

One scenario class, run on each persistence backend by subclassing (popo and SQLite here,
PostgreSQL in tests/integration/postgres/test_postgres_ticket_scenarios.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import StoredEvent

from kangaroo_paw.domain.errors import Conflict, InvalidTicket, ItemUnavailable, NotFound
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.task import Task
from kangaroo_paw.domain.ticket import Ticket
from unit.application.kitchen_harness import Harness, build_harness

TICKET = Ticket(
    table=" 12 ",
    guest="Ana",
    channel="takeaway",
    note="birthday",
    modifiers={"burger_combo": ["no onion", "well done"]},
    allergens={"burger_combo": ["sesame"], "dip_cup": ["dairy"]},
)
ITEMS = {"burger_combo": 2, "dip_cup": 1}
NEW_ORDER_FIELDS = ("table", "guest", "channel", "note", "modifiers", "allergens")


def older(
    stored: StoredEvent, version: int, drop: tuple[str, ...], *, snapshot: bool = False
) -> StoredEvent:
    """``stored`` as the previous class version wrote it (without ``drop``); a snapshot keeps
    the aggregate's state and class version one level down."""
    outer = json.loads(stored.state)
    state = outer["state"] if snapshot else outer
    for key in drop:
        state.pop(key)
    state["class_version"] = version
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(outer).encode(),
    )


class TicketScenarios:
    """Subclasses set ``persistence`` and nothing else."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path, snapshot_every=2)
        yield harness
        harness.close()

    # -- ticket content ------------------------------------------------------------------------

    def test_the_order_and_each_task_carry_the_ticket(self, kp: Harness) -> None:
        order, created = kp.kitchen.confirm_order(ITEMS, "t-1", ticket=TICKET)
        assert created
        assert (order.table, order.guest, order.channel, order.note) == (
            "12",
            "Ana",
            "takeaway",
            "birthday",
        )
        assert order.modifiers == {"burger_combo": ["no onion", "well done"]}
        assert order.allergens == {"burger_combo": ["sesame"], "dip_cup": ["dairy"]}
        for task in kp.tasks(order.order_id):
            expected = (
                (["no onion", "well done"], ["sesame"])
                if task.item_key == "burger_combo"
                else ([], ["dairy"])
            )
            assert (task.modifiers, task.allergens) == expected
        assert kp.order(order.order_id) == order
        created_events = [e for e in kp.events() if e.type == "TASK_CREATED"]
        assert {tuple(e.data["allergens"]) for e in created_events} == {("sesame",), ("dairy",)}

    def test_an_order_snapshot_keeps_the_ticket(self, kp: Harness) -> None:
        order, _ = kp.kitchen.confirm_order(ITEMS, "t-snap", ticket=TICKET)
        kp.kitchen.rush_order(order.order_id)
        kp.kitchen.rush_order(order.order_id, rush=False)
        kitchen = kp.kitchen
        assert kitchen.snapshots is not None
        snapshots = list(kitchen.snapshots.get(order.order_id, desc=True, limit=1))
        assert snapshots
        assert snapshots[0].state["note"] == "birthday"
        live = kitchen.order(order.order_id)
        rebuilt: Any = kitchen.repository.get(order.order_id, version=live.version)
        assert vars(rebuilt) == vars(live)
        assert rebuilt.ticket == TICKET.checked(ITEMS)
        # A snapshot taken before ticket content loads as an order with an empty ticket.
        stored = kitchen.snapshots.recorder.select_events(order.order_id, desc=True, limit=1)[0]
        old: Any = kitchen.mapper.to_domain_event(older(stored, 2, NEW_ORDER_FIELDS, snapshot=True))
        assert old.mutate(None).ticket == Ticket()

    def test_a_retry_is_the_same_order_only_with_the_same_ticket(self, kp: Harness) -> None:
        first, _ = kp.kitchen.confirm_order(ITEMS, "t-2", ticket=TICKET)
        head = kp.kitchen.head_position()
        written_otherwise = Ticket(
            table="12",
            guest=" Ana",
            channel="takeaway",
            note="birthday ",
            modifiers={"burger_combo": ["no onion", "well done"], "dip_cup": []},
            allergens={"dip_cup": ["dairy"], "burger_combo": ["sesame"]},
        )
        again, created = kp.kitchen.confirm_order(ITEMS, "t-2", ticket=written_otherwise)
        assert not created
        assert again.order_id == first.order_id
        for other in (None, Ticket(table="12"), Ticket(**{**vars_of(TICKET), "note": "x"})):
            with pytest.raises(Conflict):
                kp.kitchen.confirm_order(ITEMS, "t-2", ticket=other)
        assert kp.kitchen.head_position() == head

    def test_a_bad_ticket_writes_nothing_on_confirm_or_quote(self, kp: Harness) -> None:
        head = kp.kitchen.head_position()
        for ticket in (
            Ticket(table=" "),
            Ticket(modifiers={"wrap": ["no onion"]}),
            Ticket(allergens={"dip_cup": ["a" * 33]}),
            Ticket(channel="drive_thru"),
        ):
            with pytest.raises(InvalidTicket):
                kp.kitchen.confirm_order(ITEMS, "t-bad", ticket=ticket)
            with pytest.raises(InvalidTicket):
                kp.kitchen.quote_order(ITEMS, ticket=ticket)
        assert kp.kitchen.head_position() == head

    def test_events_stored_before_ticket_content_load_with_an_empty_ticket(
        self, kp: Harness
    ) -> None:
        order = kp.confirm({"dip_cup": 1}, "t-old")
        mapper = kp.kitchen.mapper
        stored = kp.kitchen.recorder.select_events(order.order_id)[0]
        old = mapper.to_domain_event(older(stored, 2, NEW_ORDER_FIELDS))
        assert isinstance(old, Order.Created)
        rebuilt = old.mutate(None)
        assert rebuilt is not None
        assert rebuilt.ticket == Ticket()
        assert rebuilt.same_request({"dip_cup": 1}, "normal", Ticket().checked(["dip_cup"]))
        task_stored = kp.kitchen.recorder.select_events(order.tasks[0].task_id)[0]
        task_event = mapper.to_domain_event(older(task_stored, 2, ("modifiers", "allergens")))
        assert isinstance(task_event, Task.Created)
        assert (task_event.modifiers, task_event.allergens) == ([], [])

    # -- 86 and back ---------------------------------------------------------------------------

    def test_an_86d_item_cannot_be_ordered_until_it_is_back(self, kp: Harness) -> None:
        view = kp.kitchen.set_available("wrap", False)
        assert not view.available
        assert {r.item_key: r.available for r in kp.kitchen.list_recipes()}["wrap"] is False
        head = kp.kitchen.head_position()
        with pytest.raises(ItemUnavailable) as refused:
            kp.kitchen.confirm_order({"wrap": 1, "dip_cup": 1}, "86-1")
        assert refused.value.details == {"items": ["wrap"]}
        with pytest.raises(ItemUnavailable):
            kp.kitchen.quote_order({"wrap": 1})
        assert kp.kitchen.head_position() == head
        assert kp.kitchen.set_available("wrap", True).available
        order, created = kp.kitchen.confirm_order({"wrap": 1, "dip_cup": 1}, "86-1")
        assert created
        assert order.status == "CONFIRMED"

    def test_86_is_idempotent_and_recorded_once(self, kp: Harness) -> None:
        kp.kitchen.set_available("dip_cup", False)
        head = kp.kitchen.head_position()
        kp.kitchen.set_available("dip_cup", False)
        assert kp.kitchen.head_position() == head
        kp.kitchen.set_available("dip_cup", True)
        kp.kitchen.set_available("dip_cup", True)
        types = kp.event_types()
        assert (types["RECIPE_86ED"], types["RECIPE_AVAILABLE"]) == (1, 1)
        with pytest.raises(NotFound):
            kp.kitchen.set_available("lobster", False)

    def test_a_recipe_snapshot_keeps_its_availability(self, kp: Harness) -> None:
        kp.kitchen.set_available("wrap", False)
        kp.kitchen.set_available("wrap", True)
        kp.kitchen.set_available("wrap", False)
        recipe = kp.kitchen.get_recipe("wrap")
        assert not recipe.available
        kitchen = kp.kitchen
        assert kitchen.snapshots is not None
        recipe_id = kitchen.directory("recipes").members["wrap"]
        assert list(kitchen.snapshots.get(recipe_id, desc=True, limit=1))
        live = kitchen.load(Recipe, recipe_id)
        rebuilt: Any = kitchen.repository.get(recipe_id, version=live.version)
        assert vars(rebuilt) == vars(live)
        assert rebuilt.available is False
        stored = kitchen.snapshots.recorder.select_events(recipe_id, desc=True, limit=1)[0]
        old: Any = kitchen.mapper.to_domain_event(older(stored, 1, ("available",), snapshot=True))
        assert old.mutate(None).available is True  # before 86 existed, every item was

    # -- all-day -------------------------------------------------------------------------------

    def test_all_day_counts_open_work_per_counter(self, kp: Harness) -> None:
        for name in ("Asha", "Ravi", "Noah"):
            kp.kitchen.set_break(kp.staff(name).staff_id, True)
        order = kp.confirm({"burger_combo": 2, "wrap": 1}, "all-day")
        kp.settle()
        counters = {c.counter: c for c in kp.kitchen.all_day()}
        assert list(counters) == ["adhoc", "beverage", "fryer", "griller", "microwave"]
        griller = counters["griller"]
        assert (griller.waiting, griller.in_progress) == (5, 0)
        assert [(i.item_key, i.waiting) for i in griller.items] == [
            ("burger_combo", 2),
            ("wrap", 1),
        ]
        assert [(s.item_key, s.step_no, s.description, s.waiting) for s in griller.steps] == [
            ("burger_combo", 1, "grill patty", 2),
            ("burger_combo", 2, "toast bun", 2),
            ("wrap", 2, "grill filling", 1),
        ]
        assert counters["beverage"].waiting == 0

        kp.kitchen.set_break(kp.staff("Asha").staff_id, False)
        kp.settle()
        started = next(t for t in kp.tasks(order.order_id) if t.status == "ASSIGNED")
        kp.kitchen.start_task(started.task_id)
        (here,) = kp.kitchen.all_day(started.counter)
        assert here.in_progress == 1
        item = next(i for i in here.items if i.item_key == started.item_key)
        assert item.in_progress == 1
        step = next(
            s for s in here.steps if (s.item_key, s.step_no) == (started.item_key, started.step_no)
        )
        assert step.in_progress == 1
        kp.kitchen.cancel_order(order.order_id)
        assert all(c.waiting + c.in_progress == 0 for c in kp.kitchen.all_day())
        with pytest.raises(NotFound):
            kp.kitchen.all_day("pastry")


def vars_of(ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in Ticket.__slots__}


class TestTicketPopo(TicketScenarios):
    persistence = "popo"


class TestTicketSqlite(TicketScenarios):
    persistence = "sqlite"
