"""Ticket content: table, guest, channel, note and per-line modifiers and allergens are
trimmed, bounded and tied to the order's items; an order and its tasks carry them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from domain_builders import make_order, make_task, replayed

from kangaroo_paw.domain.errors import InvalidOrder, InvalidTicket
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.task import Task
from kangaroo_paw.domain.ticket import Channel, Ticket

ITEMS = ("burger_combo", "wrap")


def test_an_empty_ticket_is_a_dine_in_with_nothing_else() -> None:
    checked = Ticket().checked(ITEMS)
    assert checked == Ticket(channel="dine_in")
    assert checked.fields() == {
        "table": None,
        "guest": None,
        "channel": "dine_in",
        "note": None,
        "modifiers": {},
        "allergens": {},
    }


def test_texts_are_trimmed_lines_sorted_and_empty_lines_dropped() -> None:
    checked = Ticket(
        table=" 12 ",
        guest="\tAna ",
        channel="delivery",
        note="  ring twice\n",
        modifiers={"wrap": [" extra sauce "], "burger_combo": ["no onion", " well done"]},
        allergens={"wrap": [], "burger_combo": [" sesame "]},
    ).checked(ITEMS)
    assert checked == Ticket(
        table="12",
        guest="Ana",
        channel=Channel.DELIVERY,
        note="ring twice",
        modifiers={"burger_combo": ["no onion", "well done"], "wrap": ["extra sauce"]},
        allergens={"burger_combo": ["sesame"]},
    )
    assert list(checked.modifiers) == ["burger_combo", "wrap"]
    assert checked.line("burger_combo") == (["no onion", "well done"], ["sesame"])
    assert checked.line("wrap") == (["extra sauce"], [])
    assert checked.line("dip_cup") == ([], [])


@pytest.mark.parametrize(
    ("ticket", "words"),
    [
        (Ticket(table="   "), "table must not be blank"),
        (Ticket(table="x" * 33), "table must be at most 32"),
        (Ticket(guest="g" * 65), "guest must be at most 64"),
        (Ticket(note="n" * 281), "note must be at most 280"),
        (Ticket(note=""), "note must not be blank"),
        (Ticket(channel="drive_thru"), "channel must be one of"),
        (Ticket(channel=["dine_in"]), "channel must be one of"),  # type: ignore[arg-type]
        (Ticket(modifiers={"wrap": [""]}), "modifiers of 'wrap' must not be blank"),
        (Ticket(modifiers={"wrap": ["m" * 65]}), "modifiers of 'wrap' must be at most 64"),
        (Ticket(modifiers={"wrap": ["m"] * 11}), "at most 10 entries"),
        (Ticket(allergens={"wrap": ["a" * 33]}), "allergens of 'wrap' must be at most 32"),
        (Ticket(allergens={"wrap": ["a"] * 15}), "at most 14 entries"),
        (Ticket(allergens={"lobster": ["shellfish"]}), "not in the order: 'lobster'"),
        (Ticket(modifiers={"wrap": "no onion"}), "must be a list of text"),  # type: ignore[dict-item]
        (Ticket(modifiers={"wrap": [3]}), "must be text, not int"),  # type: ignore[list-item]
        (Ticket(table=7), "table must be text"),  # type: ignore[arg-type]
    ],
)
def test_a_broken_ticket_is_refused_with_what_is_wrong(ticket: Ticket, words: str) -> None:
    with pytest.raises(InvalidTicket, match=words) as caught:
        ticket.checked(ITEMS)
    assert caught.value.code == "invalid_ticket"
    assert isinstance(caught.value, InvalidOrder)
    assert "field" in caught.value.details


def test_limits_are_inclusive() -> None:
    checked = Ticket(
        table="t" * 32,
        guest="g" * 64,
        note="n" * 280,
        modifiers={"wrap": ["m" * 64] * 10},
        allergens={"wrap": ["a" * 32] * 14},
    ).checked(ITEMS)
    assert len(checked.modifiers["wrap"]) == 10
    assert len(checked.allergens["wrap"]) == 14


def test_an_order_carries_its_ticket_through_replay() -> None:
    ticket = Ticket(
        table="4", channel="takeaway", modifiers={"burger_combo": ["no onion"]}
    ).checked(ITEMS)
    order = make_order([uuid.uuid4()], ticket)
    assert order.ticket == ticket
    state = replayed(order)
    assert (state["table"], state["channel"], state["modifiers"]) == (
        "4",
        "takeaway",
        {"burger_combo": ["no onion"]},
    )


def test_a_task_carries_its_lines_modifiers_and_allergens() -> None:
    task = make_task(modifiers=["no onion"], allergens=["sesame"])
    assert (task.modifiers, task.allergens) == (["no onion"], ["sesame"])
    created = task.collect_events()[0]
    assert isinstance(created, Task.Created)
    assert (created.modifiers, created.allergens) == (["no onion"], ["sesame"])


def test_old_order_and_task_events_and_snapshots_get_an_empty_ticket() -> None:
    state: dict[str, Any] = {"priority": "normal"}
    Order.Created.upcast_v2_v3(state)
    assert state == {
        "priority": "normal",
        "table": None,
        "guest": None,
        "channel": "dine_in",
        "note": None,
        "modifiers": {},
        "allergens": {},
    }
    snapshot: dict[str, Any] = {"items": {"dip_cup": 1}}
    Order.upcast_v2_v3(snapshot)
    assert snapshot["channel"] == "dine_in"
    assert snapshot["allergens"] == {}
    task_state: dict[str, Any] = {"unit": 1}
    Task.Created.upcast_v2_v3(task_state)
    assert task_state == {"unit": 1, "machine_kind": None, "modifiers": [], "allergens": []}
