"""86 and back over HTTP: a manager marks a menu item unavailable and available again; the
menu shows it; confirms and quotes of an 86'd item are 422 item_unavailable."""

from __future__ import annotations

from conftest import KitchenClient, assert_error


def mark(client: KitchenClient, item_key: str, state: str) -> dict[str, object]:
    response = client.post(f"/api/v1/recipes/{item_key}/{state}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_86_and_back(client: KitchenClient) -> None:
    recipe = mark(client, "wrap", "unavailable")
    assert (recipe["item_key"], recipe["available"], recipe["retired"]) == ("wrap", False, False)
    menu = {r["item_key"]: r["available"] for r in client.get("/api/v1/recipes").json()["recipes"]}
    assert menu == {"burger_combo": True, "cold_coffee": True, "dip_cup": True, "wrap": False}
    assert client.get("/api/v1/recipes/wrap").json()["available"] is False

    head = client.log_head()
    for route in ("confirm", "quote"):
        response = client.post(f"/api/v1/orders/{route}", json={"items": {"wrap": 1, "dip_cup": 1}})
        error = assert_error(response, 422, "item_unavailable")
        assert error["details"] == {"items": ["wrap"]}
        assert "'wrap'" in error["message"]
    assert client.log_head() == head

    assert mark(client, "wrap", "available")["available"] is True
    order = client.confirm({"wrap": 1, "dip_cup": 1})
    assert order["status"] == "CONFIRMED"


def test_marking_twice_records_nothing_new(client: KitchenClient) -> None:
    mark(client, "dip_cup", "unavailable")
    head = client.log_head()
    assert mark(client, "dip_cup", "unavailable")["available"] is False
    assert client.log_head() == head
    mark(client, "dip_cup", "available")
    head = client.log_head()
    assert mark(client, "dip_cup", "available")["available"] is True
    assert client.log_head() == head
    kinds = [
        e["type"] for e in client.get("/api/v1/events", params={"limit": 500}).json()["events"]
    ]
    assert (kinds.count("RECIPE_86ED"), kinds.count("RECIPE_AVAILABLE")) == (1, 1)


def test_every_unavailable_item_is_named(client: KitchenClient) -> None:
    mark(client, "wrap", "unavailable")
    mark(client, "cold_coffee", "unavailable")
    response = client.post(
        "/api/v1/orders/confirm", json={"items": {"wrap": 1, "cold_coffee": 2, "dip_cup": 1}}
    )
    assert assert_error(response, 422, "item_unavailable")["details"]["items"] == [
        "cold_coffee",
        "wrap",
    ]
    # An item with no recipe is the other error, and comes first.
    response = client.post("/api/v1/orders/confirm", json={"items": {"wrap": 1, "lobster": 1}})
    assert_error(response, 422, "unknown_item")


def test_orders_already_confirmed_are_untouched_and_their_retry_still_answers(
    client: KitchenClient,
) -> None:
    order = client.confirm({"wrap": 1}, "before-86")
    mark(client, "wrap", "unavailable")
    again = client.post(
        "/api/v1/orders/confirm", json={"items": {"wrap": 1}, "external_order_id": "before-86"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == order["order_id"]
    client.run_once()
    assert client.order(order["order_id"])["status"] == "IN_PROGRESS"


def test_86_is_apart_from_retirement_and_revision(client: KitchenClient) -> None:
    mark(client, "dip_cup", "unavailable")
    steps = client.get("/api/v1/recipes/dip_cup").json()["steps"]
    revised = client.put("/api/v1/recipes/dip_cup", json={"steps": steps}).json()
    assert (revised["revision"], revised["available"]) == (2, False)
    retired = client.delete("/api/v1/recipes/dip_cup").json()
    assert (retired["retired"], retired["available"]) == (True, False)
    assert mark(client, "dip_cup", "available")["retired"] is True
    response = client.post("/api/v1/orders/confirm", json={"items": {"dip_cup": 1}})
    assert_error(response, 422, "unknown_item")  # retired: off the menu whatever its 86


def test_an_unknown_item_is_404_and_only_a_manager_may_86(client: KitchenClient) -> None:
    for state in ("unavailable", "available"):
        assert_error(client.post(f"/api/v1/recipes/lobster/{state}"), 404, "not_found")
    _, secret = client.embedded.kitchen.issue_token("pos", "integration")
    response = client.post(
        "/api/v1/recipes/wrap/unavailable", headers={"Authorization": f"Bearer {secret}"}
    )
    assert_error(response, 403, "forbidden")
    assert client.get("/api/v1/recipes/wrap").json()["available"] is True
