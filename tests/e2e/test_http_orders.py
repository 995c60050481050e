"""Orders over HTTP: idempotent confirm, cancel, listing and paging, task queries."""

from __future__ import annotations

from conftest import KitchenClient, assert_error

ORDER = "/api/v1/orders/confirm"


def test_confirm_is_idempotent(client: KitchenClient) -> None:
    body = {
        "external_order_id": "ord-1001",
        "items": {"burger_combo": 1, "cold_coffee": 2, "wrap": 1},
    }
    first = client.post(ORDER, json=body)
    assert first.status_code == 201
    head = client.log_head()
    again = client.post(ORDER, json=body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert client.log_head() == head  # a replay writes nothing
    # The same request with the keys in another order is the same request.
    reordered = {
        "items": {"wrap": 1, "cold_coffee": 2, "burger_combo": 1},
        "external_order_id": "ord-1001",
    }
    assert client.post(ORDER, json={**reordered, "priority": "normal"}).status_code == 200
    order = first.json()
    assert len(order["tasks"]) == 4 + 2 * 2 + 3
    assert order["items"] == body["items"]


def test_confirm_without_external_id_generates_one(client: KitchenClient) -> None:
    a = client.post(ORDER, json={"items": {"dip_cup": 1}})
    b = client.post(ORDER, json={"items": {"dip_cup": 1}})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["order_id"] != b.json()["order_id"]
    assert a.json()["external_order_id"]


def test_cancel_withdraws_open_tasks_and_releases_holdings(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1}, "to-cancel")
    client.run_once()
    busy = client.get("/api/v1/machines").json()["machines"]
    assert sum(m["in_use"] for m in busy) == 3
    response = client.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancelled_at"] is not None
    assert {t["status"] for t in cancelled["tasks"]} == {"CANCELLED"}
    assert all(m["in_use"] == 0 for m in client.get("/api/v1/machines").json()["machines"])
    assert all(s["active_tasks"] == [] for s in client.get("/api/v1/staff").json()["staff"])
    assert client.get("/api/v1/queue").json()["tasks"] == []
    assert_error(client.post(f"/api/v1/orders/{order['order_id']}/cancel"), 409, "invalid_state")


def test_cancelling_a_completed_order_is_409(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1})
    (task_id,) = order["ready_task_ids"]
    client.run_once()
    client.post(f"/api/v1/tasks/{task_id}/start")
    client.post(f"/api/v1/tasks/{task_id}/complete")
    assert client.order(order["order_id"])["status"] == "COMPLETED"
    head = client.log_head()
    assert_error(client.post(f"/api/v1/orders/{order['order_id']}/cancel"), 409, "invalid_state")
    assert client.log_head() == head
    assert client.order(order["order_id"])["status"] == "COMPLETED"


def test_list_orders_newest_first_paginated_and_by_status(client: KitchenClient) -> None:
    ids = []
    for n in range(5):
        ids.append(client.confirm({"dip_cup": 1}, f"page-{n}")["order_id"])
        client.clock.advance(1)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/orders", params=params).json()
        seen += [o["order_id"] for o in page["orders"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert pages == 3
    client.run_once()
    in_progress = client.get("/api/v1/orders", params={"status": "IN_PROGRESS"}).json()
    assert len(in_progress["orders"]) == 4  # Ravi and Noah take two dip cups each
    assert {o["status"] for o in in_progress["orders"]} == {"IN_PROGRESS"}
    confirmed = client.get("/api/v1/orders", params={"status": "CONFIRMED"}).json()["orders"]
    assert len(confirmed) + len(in_progress["orders"]) == 5


def test_list_tasks_by_status_counter_and_cook(client: KitchenClient) -> None:
    client.confirm({"burger_combo": 1, "cold_coffee": 1})
    ready = client.get("/api/v1/tasks", params={"status": "READY"}).json()["tasks"]
    waiting = client.get("/api/v1/tasks", params={"status": "WAITING"}).json()["tasks"]
    assert {t["description"] for t in ready} == {
        "grill patty",
        "toast bun",
        "fry fries",
        "blend coffee",
    }
    assert {t["description"] for t in waiting} == {"assemble burger", "cup assembly"}
    griller = client.get("/api/v1/tasks", params={"counter": "griller"}).json()["tasks"]
    assert {t["step_no"] for t in griller} == {1, 2}
    client.run_once()
    asha = next(s for s in client.get("/api/v1/staff").json()["staff"] if s["name"] == "Asha")
    mine = client.get(
        "/api/v1/tasks", params={"status": "ASSIGNED", "staff_id": asha["staff_id"]}
    ).json()["tasks"]
    assert {t["task_id"] for t in mine} == set(asha["active_tasks"])
    assert mine
    assert all(t["assigned_staff"] == "Asha" for t in mine)
    everything = client.get("/api/v1/tasks").json()["tasks"]
    assert len(everything) == 6


# -- promise, quote and rush ---------------------------------------------------------------------


def test_confirm_returns_a_promise_that_a_quote_gave_first(client: KitchenClient) -> None:
    client.confirm({"burger_combo": 2}, "busy-1")
    body = {"external_order_id": "quoted", "items": {"burger_combo": 1, "cold_coffee": 1}}
    head = client.log_head()
    quote = client.post("/api/v1/orders/quote", json=body)
    assert quote.status_code == 200
    assert client.log_head() == head  # a quote writes nothing
    promise = quote.json()
    order = client.post(ORDER, json=body).json()
    assert order["promised_secs"] == promise["promised_secs"]
    assert order["promised_ready_at"] == promise["promised_ready_at"]
    assert order["promised_secs"] >= 125  # the burger's critical path (fries + assemble)
    assert order["late"] is False
    assert client.order(order["order_id"])["promised_ready_at"] == order["promised_ready_at"]


def test_an_open_order_past_its_promise_is_late(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1}, "slow")
    client.advance(order["promised_secs"] + 1)
    assert client.order(order["order_id"])["late"] is True


def test_quote_validates_like_confirm_and_writes_nothing(client: KitchenClient) -> None:
    head = client.log_head()
    assert_error(client.post("/api/v1/orders/quote", json={"items": {"nope": 1}}), 422)
    assert_error(client.post("/api/v1/orders/quote", json={"items": {"dip_cup": 0}}), 422)
    assert_error(
        client.post("/api/v1/orders/quote", json={"items": {"dip_cup": 1}, "x": 1}),
        400,
        "invalid_request",
    )
    assert client.log_head() == head


def test_rush_and_unrush_an_open_order(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1}, "to-rush")
    path = f"/api/v1/orders/{order['order_id']}/rush"
    rushed = client.post(path, json={"rush": True})
    assert rushed.status_code == 200
    assert rushed.json()["priority"] == "rush"
    assert rushed.json()["rush_credit_secs"] == 180
    assert {t["rush_credit_secs"] for t in rushed.json()["tasks"]} == {180}
    back = client.post(path, json={"rush": False}).json()
    assert (back["priority"], back["rush_credit_secs"]) == ("normal", 0)


def test_rush_errors(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1}, "rush-errors")
    path = f"/api/v1/orders/{order['order_id']}/rush"
    head = client.log_head()
    assert_error(client.post(path), 400, "invalid_request")  # the body says which way
    assert_error(client.post(path, json={"rush": "yes"}), 400, "invalid_request")
    assert_error(
        client.post(
            "/api/v1/orders/00000000-0000-0000-0000-000000000000/rush", json={"rush": True}
        ),
        404,
        "not_found",
    )
    assert client.log_head() == head
    client.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert_error(client.post(path, json={"rush": True}), 409, "invalid_state")
