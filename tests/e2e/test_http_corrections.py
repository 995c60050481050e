"""Recall, re-fire and void over HTTP: each route's answer, every error it can give (and that
an error writes nothing), and a station token held to its own counters."""

from __future__ import annotations

from typing import Any

from conftest import KitchenClient, assert_error

DIP = {"dip_cup": 1}  # one 12 s step on the adhoc counter


def running(client: KitchenClient, items: dict[str, int]) -> tuple[Any, Any]:
    """A confirmed order and its first task, assigned and started."""
    order = client.confirm(items)
    client.run_once()
    task = order["tasks"][0]
    started = client.post(f"/api/v1/tasks/{task['task_id']}/start")
    assert started.status_code == 200, started.text
    return order, started.json()


def bumped(client: KitchenClient) -> tuple[Any, Any]:
    order, task = running(client, DIP)
    client.advance(2)
    done = client.post(f"/api/v1/tasks/{task['task_id']}/complete")
    assert done.status_code == 200, done.text
    return order, done.json()


def station_headers(client: KitchenClient, counters: list[str]) -> dict[str, str]:
    _, secret = client.embedded.kitchen.issue_token("line", "station", counters)
    return {"Authorization": f"Bearer {secret}"}


# -- recall ----------------------------------------------------------------------------------


def test_recall_puts_a_completed_task_back_to_started(client: KitchenClient) -> None:
    order, task = bumped(client)
    assert client.order(order["order_id"])["status"] == "COMPLETED"
    response = client.post(f"/api/v1/tasks/{task['task_id']}/recall")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["attempt"], body["start_no"]) == ("STARTED", 1, 2)
    assert body["completed_at"] is None
    assert body["due_at"] is not None
    after = client.order(order["order_id"])
    assert (after["status"], after["completed_at"]) == ("IN_PROGRESS", None)
    client.advance(12)  # the recalled start's timer completes it again
    assert client.task(task["task_id"])["status"] == "COMPLETED"
    assert client.order(order["order_id"])["status"] == "COMPLETED"


def test_recall_past_the_window_is_409_and_writes_nothing(client: KitchenClient) -> None:
    _, task = bumped(client)
    client.advance(client.embedded.kitchen.policy.recall_window_secs + 1)
    head = client.log_head()
    error = assert_error(
        client.post(f"/api/v1/tasks/{task['task_id']}/recall"), 409, "recall_window_passed"
    )
    assert error["details"]["window_secs"] == 120
    assert client.log_head() == head


def test_recall_of_a_task_not_completed_is_409(client: KitchenClient) -> None:
    _, task = running(client, DIP)
    assert_error(client.post(f"/api/v1/tasks/{task['task_id']}/recall"), 409, "invalid_state")


def test_recall_of_an_unknown_or_malformed_task(client: KitchenClient) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_error(client.post(f"/api/v1/tasks/{unknown}/recall"), 404, "not_found")
    assert_error(client.post("/api/v1/tasks/not-a-uuid/recall"), 404, "not_found")


# -- re-fire ---------------------------------------------------------------------------------


def test_refire_queues_a_new_attempt_at_the_orders_place(client: KitchenClient) -> None:
    order, task = bumped(client)
    response = client.post(
        f"/api/v1/tasks/{task['task_id']}/refire", json={"reason": "dropped on the floor"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["attempt"], body["started_at"]) == ("UNASSIGNED", 2, None)
    assert client.order(order["order_id"])["status"] == "IN_PROGRESS"
    queue = client.get("/api/v1/queue").json()
    assert task["task_id"] in {t["task_id"] for t in queue["tasks"]}
    client.run_once()
    again = client.post(f"/api/v1/tasks/{task['task_id']}/start").json()
    assert (again["attempt"], again["start_no"]) == (2, 2)
    client.advance(12)
    assert client.order(order["order_id"])["status"] == "COMPLETED"


def test_refire_without_a_body_is_fine(client: KitchenClient) -> None:
    _, task = running(client, DIP)
    response = client.post(f"/api/v1/tasks/{task['task_id']}/refire")
    assert response.status_code == 200, response.text
    assert response.json()["attempt"] == 2


def test_refire_errors(client: KitchenClient) -> None:
    order = client.confirm(DIP)
    task_id = order["tasks"][0]["task_id"]
    head = client.log_head()
    assert_error(client.post(f"/api/v1/tasks/{task_id}/refire"), 409, "invalid_state")
    too_long = client.post(f"/api/v1/tasks/{task_id}/refire", json={"reason": "x" * 281})
    assert_error(too_long, 400, "invalid_request")
    unknown_field = client.post(f"/api/v1/tasks/{task_id}/refire", json={"why": "dropped"})
    assert_error(unknown_field, 400, "invalid_request")
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_error(client.post(f"/api/v1/tasks/{unknown}/refire"), 404, "not_found")
    assert client.log_head() == head


def test_a_station_recalls_and_refires_only_on_its_counters(client: KitchenClient) -> None:
    _, task = bumped(client)
    elsewhere = station_headers(client, ["griller"])
    for action in ("recall", "refire"):
        refused = client.post(f"/api/v1/tasks/{task['task_id']}/{action}", headers=elsewhere)
        assert_error(refused, 403, "forbidden")
    assert client.task(task["task_id"])["status"] == "COMPLETED"
    _, secret = client.embedded.kitchen.issue_token("packing", "station", ["adhoc"])
    own = {"Authorization": f"Bearer {secret}"}
    recalled = client.post(f"/api/v1/tasks/{task['task_id']}/recall", headers=own)
    assert recalled.status_code == 200, recalled.text
    refired = client.post(f"/api/v1/tasks/{task['task_id']}/refire", headers=own)
    assert refired.status_code == 200, refired.text
    assert refired.json()["attempt"] == 2


# -- void ------------------------------------------------------------------------------------


def test_void_takes_a_line_off_the_order(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1, "dip_cup": 1})
    client.run_once()
    patty = next(t for t in order["tasks"] if t["item_key"] == "burger_combo")
    client.post(f"/api/v1/tasks/{patty['task_id']}/start")
    response = client.post(
        f"/api/v1/orders/{order['order_id']}/void",
        json={"item_key": "burger_combo", "reason": "guest changed mind"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["voided_items"] == {"burger_combo": "guest changed mind"}
    burger = {t["step_no"]: t for t in body["tasks"] if t["item_key"] == "burger_combo"}
    assert (burger[1]["status"], burger[1]["voided"]) == ("STARTED", True)
    assert {burger[n]["status"] for n in (2, 3, 4)} == {"CANCELLED"}
    assert body["items"] == {"burger_combo": 1, "dip_cup": 1}  # what was confirmed
    refire = client.post(f"/api/v1/tasks/{patty['task_id']}/refire")
    assert_error(refire, 409, "task_voided")


def test_voiding_the_last_line_cancels_the_order(client: KitchenClient) -> None:
    order = client.confirm(DIP)
    response = client.post(f"/api/v1/orders/{order['order_id']}/void", json={"item_key": "dip_cup"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"


def test_void_errors_write_nothing(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1, "dip_cup": 1})
    path = f"/api/v1/orders/{order['order_id']}/void"
    assert client.post(path, json={"item_key": "dip_cup"}).status_code == 200
    head = client.log_head()
    assert_error(client.post(path, json={"item_key": "wrap"}), 404, "line_not_found")
    assert_error(client.post(path, json={"item_key": "dip_cup"}), 409, "line_already_voided")
    assert_error(client.post(path, json={}), 400, "invalid_request")
    assert_error(client.post(path, json={"item_key": ""}), 400, "invalid_request")
    assert_error(client.post(path), 400, "invalid_request")
    unknown = "/api/v1/orders/00000000-0000-0000-0000-000000000000/void"
    assert_error(client.post(unknown, json={"item_key": "dip_cup"}), 404, "not_found")
    assert client.log_head() == head
    client.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert_error(client.post(path, json={"item_key": "burger_combo"}), 409, "invalid_state")


def test_a_station_may_not_void(client: KitchenClient) -> None:
    order = client.confirm(DIP)
    response = client.post(
        f"/api/v1/orders/{order['order_id']}/void",
        json={"item_key": "dip_cup"},
        headers=station_headers(client, ["adhoc"]),
    )
    assert_error(response, 403, "forbidden")
