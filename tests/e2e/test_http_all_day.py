"""All-day counts over HTTP: per counter, items and steps waiting and in progress."""

from __future__ import annotations

from typing import Any

from conftest import KitchenClient, assert_error

COUNTERS = ["adhoc", "beverage", "fryer", "griller", "microwave"]


def all_day(client: KitchenClient, counter: str | None = None) -> Any:
    params = {"counter": counter} if counter is not None else {}
    response = client.get("/api/v1/all-day", params=params)
    assert response.status_code == 200, response.text
    return response.json()["counters"]


def test_an_idle_kitchen_lists_every_counter_with_nothing(client: KitchenClient) -> None:
    counters = all_day(client)
    assert [c["counter"] for c in counters] == COUNTERS
    assert all(
        (c["waiting"], c["in_progress"], c["items"], c["steps"]) == (0, 0, [], []) for c in counters
    )


def test_counts_follow_the_tasks(client: KitchenClient) -> None:
    # Asha works the griller alone (the others are on break), and with the fryer down her
    # first pick is the patty of the first burger (the longest path of the griller's steps).
    assert client.post("/api/v1/machines/fryer-1/down").status_code == 200
    for cook in client.get("/api/v1/staff").json()["staff"]:
        if cook["name"] != "Asha":
            response = client.post(f"/api/v1/staff/{cook['staff_id']}/break/start")
            assert response.status_code == 200, response.text
    order = client.confirm({"burger_combo": 2, "wrap": 1})
    (griller,) = all_day(client, "griller")
    assert (griller["waiting"], griller["in_progress"]) == (5, 0)
    assert griller["items"] == [
        {"item_key": "burger_combo", "waiting": 2, "in_progress": 0},
        {"item_key": "wrap", "waiting": 1, "in_progress": 0},
    ]
    assert griller["steps"] == [
        {"item_key": "burger_combo", "step_no": 1, "description": "grill patty",
         "waiting": 2, "in_progress": 0},
        {"item_key": "burger_combo", "step_no": 2, "description": "toast bun",
         "waiting": 2, "in_progress": 0},
        {"item_key": "wrap", "step_no": 2, "description": "grill filling",
         "waiting": 1, "in_progress": 0},
    ]  # fmt: skip

    client.run_once()  # assigned is still waiting: not started
    assert all_day(client, "griller")[0]["waiting"] == 5
    patty = next(
        t
        for t in order["tasks"]
        if (t["item_key"], t["step_no"], t["unit"]) == ("burger_combo", 1, 1)
    )
    assert client.task(patty["task_id"])["status"] == "ASSIGNED"
    client.post(f"/api/v1/tasks/{patty['task_id']}/start")
    (griller,) = all_day(client, "griller")
    assert (griller["waiting"], griller["in_progress"]) == (4, 1)
    assert griller["items"][0] == {"item_key": "burger_combo", "waiting": 1, "in_progress": 1}
    assert griller["steps"][0]["waiting"] == 1
    assert griller["steps"][0]["in_progress"] == 1

    client.post(f"/api/v1/tasks/{patty['task_id']}/complete")
    (griller,) = all_day(client, "griller")
    assert (griller["waiting"], griller["in_progress"]) == (4, 0)
    # Unit 1 still has its bun to toast here, so it still counts as a burger waiting.
    assert griller["items"][0] == {"item_key": "burger_combo", "waiting": 2, "in_progress": 0}
    assert griller["steps"][0]["waiting"] == 1

    client.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert all(c["waiting"] + c["in_progress"] == 0 for c in all_day(client))


def test_every_counter_has_its_own_numbers(client: KitchenClient) -> None:
    client.confirm({"burger_combo": 1, "cold_coffee": 3})
    by_name = {c["counter"]: c for c in all_day(client)}
    assert by_name["beverage"]["waiting"] == 6
    assert by_name["beverage"]["items"] == [
        {"item_key": "cold_coffee", "waiting": 3, "in_progress": 0}
    ]
    assert by_name["fryer"]["steps"][0]["description"] == "fry fries"
    assert by_name["adhoc"]["items"] == [
        {"item_key": "burger_combo", "waiting": 1, "in_progress": 0}
    ]
    assert by_name["microwave"]["waiting"] == 0


def test_an_unknown_counter_is_404(client: KitchenClient) -> None:
    assert_error(client.get("/api/v1/all-day", params={"counter": "pastry"}), 404, "not_found")
    # A machine is not a counter.
    assert_error(client.get("/api/v1/all-day", params={"counter": "grill-1"}), 404, "not_found")
    assert_error(client.get("/api/v1/all-day", params={"counter": "x" * 65}), 400)
