"""Ticket content over HTTP: table, guest, channel, note and per-line modifiers and allergens
on confirm and quote, shown on the order and on its tasks; bad content is a 400 that writes
nothing; an identical retry is the same order, a different ticket a conflict."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import KitchenClient, assert_error

TICKET: dict[str, Any] = {
    "table": " 12 ",
    "guest": "Ana",
    "channel": "takeaway",
    "note": "birthday, bring candles",
    "modifiers": {"burger_combo": ["no onion", " well done "]},
    "allergens": {"burger_combo": ["sesame"], "dip_cup": ["dairy"]},
}
ITEMS = {"burger_combo": 2, "dip_cup": 1}


def confirm(client: KitchenClient, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/orders/confirm", json=body)


def test_the_order_and_its_tasks_show_the_ticket(client: KitchenClient) -> None:
    response = confirm(client, {"items": ITEMS, "external_order_id": "t-1", **TICKET})
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["table"] == "12"  # trimmed
    assert (order["guest"], order["channel"]) == ("Ana", "takeaway")
    assert order["note"] == "birthday, bring candles"
    assert order["modifiers"] == {"burger_combo": ["no onion", "well done"]}
    assert order["allergens"] == {"burger_combo": ["sesame"], "dip_cup": ["dairy"]}
    for task in order["tasks"]:
        if task["item_key"] == "burger_combo":
            assert task["modifiers"] == ["no onion", "well done"]
            assert task["allergens"] == ["sesame"]
        else:
            assert (task["modifiers"], task["allergens"]) == ([], ["dairy"])
    assert client.order(order["order_id"])["modifiers"] == order["modifiers"]
    burger_task = next(t for t in order["tasks"] if t["item_key"] == "burger_combo")
    assert client.task(burger_task["task_id"])["allergens"] == ["sesame"]
    listed = client.get("/api/v1/tasks", params={"counter": "griller"}).json()["tasks"]
    assert all(t["modifiers"] == ["no onion", "well done"] for t in listed)
    confirmed = next(
        e for e in client.get("/api/v1/events").json()["events"] if e["type"] == "ORDER_CONFIRMED"
    )
    assert confirmed["data"]["table"] == "12"
    assert confirmed["data"]["allergens"]["dip_cup"] == ["dairy"]


def test_without_ticket_content_an_order_is_a_plain_dine_in(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1})
    assert order["channel"] == "dine_in"
    assert (order["table"], order["guest"], order["note"]) == (None, None, None)
    assert (order["modifiers"], order["allergens"]) == ({}, {})
    assert (order["tasks"][0]["modifiers"], order["tasks"][0]["allergens"]) == ([], [])


def test_a_retry_with_the_same_ticket_is_the_same_order(client: KitchenClient) -> None:
    first = confirm(client, {"items": ITEMS, "external_order_id": "t-2", **TICKET}).json()
    head = client.log_head()
    # The same ticket, written differently (spaces, line order, an empty line).
    same = {
        **TICKET,
        "table": "12",
        "modifiers": {"dip_cup": [], "burger_combo": ["no onion", "well done"]},
    }
    again = confirm(client, {"items": ITEMS, "external_order_id": "t-2", **same})
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == first["order_id"]
    assert client.log_head() == head


@pytest.mark.parametrize(
    "change",
    [
        {"note": "no candles"},
        {"channel": "delivery"},
        {"table": None},
        {"modifiers": {}},
        {"allergens": {"burger_combo": ["sesame", "peanut"]}},
    ],
)
def test_a_retry_with_another_ticket_is_a_conflict(
    client: KitchenClient, change: dict[str, Any]
) -> None:
    confirm(client, {"items": ITEMS, "external_order_id": "t-3", **TICKET})
    head = client.log_head()
    response = confirm(client, {"items": ITEMS, "external_order_id": "t-3", **TICKET, **change})
    assert_error(response, 409, "conflict")
    assert client.log_head() == head


@pytest.mark.parametrize(
    ("extra", "code", "words"),
    [
        ({"table": "   "}, "invalid_ticket", "table must not be blank"),
        ({"guest": ""}, "invalid_ticket", "guest must not be blank"),
        ({"modifiers": {"wrap": ["no onion"]}}, "invalid_ticket", "not in the order: 'wrap'"),
        ({"allergens": {"dip_cup": [" "]}}, "invalid_ticket", "allergens of 'dip_cup'"),
        ({"table": "t" * 33}, "invalid_request", "length <= 32"),
        ({"guest": "g" * 65}, "invalid_request", "length <= 64"),
        ({"note": "n" * 281}, "invalid_request", "length <= 280"),
        ({"modifiers": {"dip_cup": ["m" * 65]}}, "invalid_request", "length <= 64"),
        ({"modifiers": {"dip_cup": ["m"] * 11}}, "invalid_request", "length <= 10"),
        ({"allergens": {"dip_cup": ["a" * 33]}}, "invalid_request", "length <= 32"),
        ({"allergens": {"dip_cup": ["a"] * 15}}, "invalid_request", "length <= 14"),
        ({"modifiers": {"dip_cup": "no onion"}}, "invalid_request", "Expected `array`"),
        ({"modifiers": {"dip_cup": [1]}}, "invalid_request", "Expected `str`"),
        ({"channel": "drive_thru"}, "invalid_request", "channel"),
        ({"table": 12}, "invalid_request", "Expected `str | null`"),
    ],
)
@pytest.mark.parametrize("route", ["confirm", "quote"])
def test_bad_ticket_content_is_refused_and_writes_nothing(
    client: KitchenClient, route: str, extra: dict[str, Any], code: str, words: str
) -> None:
    head = client.log_head()
    response = client.post(f"/api/v1/orders/{route}", json={"items": {"dip_cup": 1}, **extra})
    error = assert_error(response, 422 if code == "invalid_ticket" else 400, code)
    assert words in error["message"]
    assert client.log_head() == head


def test_limits_are_inclusive_over_http(client: KitchenClient) -> None:
    body = {
        "items": {"dip_cup": 1},
        "table": "t" * 32,
        "guest": "g" * 64,
        "note": "n" * 280,
        "channel": "delivery",
        "modifiers": {"dip_cup": ["m" * 64] * 10},
        "allergens": {"dip_cup": ["a" * 32] * 14},
    }
    quote = client.post("/api/v1/orders/quote", json=body)
    assert quote.status_code == 200, quote.text
    order = confirm(client, body).json()
    assert len(order["tasks"][0]["allergens"]) == 14
