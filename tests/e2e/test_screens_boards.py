"""The boards the kitchen screens draw: station tickets in dispatch order, the expo's orders
with their progress, the last hour's history, and the public pages that carry no data."""

from __future__ import annotations

from typing import Any

from e2e.conftest import KitchenClient, assert_error


def _finish(client: KitchenClient, order_id: str) -> None:
    """Run every task of the order to completion, as the cooks would."""
    for _ in range(10):
        client.run_once()
        order = client.order(order_id)
        if order["status"] == "COMPLETED":
            return
        for task in order["tasks"]:
            if task["status"] == "ASSIGNED":
                client.post(f"/api/v1/tasks/{task['task_id']}/start")
                client.advance(5)
                client.post(f"/api/v1/tasks/{task['task_id']}/complete")
    raise AssertionError("the order did not complete")


def _board(client: KitchenClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1/screens/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_station_board_lists_given_tickets_then_the_queue(client: KitchenClient) -> None:
    first = client.confirm({"burger_combo": 1}, "S-1")
    client.run_once()
    client.advance(1)
    second = client.confirm({"burger_combo": 2}, "S-2")  # more than the cooks can take
    client.run_once()
    board = _board(client, "station", counter="griller")
    cards = board["cards"]
    assert board["counter"] == "griller"
    assert board["head"] <= client.log_head()
    assert {c["task"]["counter"] for c in cards} == {"griller"}
    given = [c for c in cards if not c["queued"]]
    queued = [c for c in cards if c["queued"]]
    assert given
    assert queued
    assert cards == given + queued  # given tickets first
    assert [c["task"]["assigned_at"] for c in given] == sorted(
        c["task"]["assigned_at"] for c in given
    )
    assert {c["task"]["status"] for c in given} <= {"ASSIGNED", "STARTED"}
    assert all(c["task"]["status"] == "UNASSIGNED" for c in queued)
    queue = client.get("/api/v1/queue").json()["tasks"]
    order_of_queue = [t["task_id"] for t in queue if t["counter"] == "griller"]
    assert [c["task"]["task_id"] for c in queued] == order_of_queue
    refs = {c["order"]["order_id"]: c["order"]["external_order_id"] for c in cards}
    assert refs == {first["order_id"]: "S-1", second["order_id"]: "S-2"}
    assert all(c["order"]["promised_ready_at"] for c in cards)


def test_a_cooks_board_holds_only_their_tickets(client: KitchenClient) -> None:
    client.confirm({"burger_combo": 1, "wrap": 1}, "C-1")
    client.run_once()
    cooks = client.get("/api/v1/staff").json()["staff"]
    asha = next(s for s in cooks if s["name"] == "Asha")
    board = _board(client, "station", staff_id=asha["staff_id"])
    assert board["cards"]
    assert {c["task"]["assigned_staff"] for c in board["cards"]} == {"Asha"}
    assert not any(c["queued"] for c in board["cards"])


def test_expo_board_shows_progress_and_a_completed_order_ready(client: KitchenClient) -> None:
    open_order = client.confirm({"burger_combo": 2, "dip_cup": 1}, "E-OPEN")
    done = client.confirm({"cold_coffee": 1}, "E-DONE")
    _finish(client, done["order_id"])
    board = _board(client, "expo")
    tickets = {t["order"]["external_order_id"]: t for t in board["orders"]}
    assert tickets["E-DONE"]["ready"] is True
    assert tickets["E-DONE"]["items"] == [
        {
            "item_key": "cold_coffee",
            "quantity": 1,
            "steps": 2,
            "steps_done": 2,
            "steps_started": 0,
            "course": 1,
            "held": False,
            "voided": False,
            "void_reason": None,
            "modifiers": [],
            "allergens": [],
        }
    ]
    assert tickets["E-DONE"]["held_courses"] == []
    pending = tickets["E-OPEN"]
    assert pending["ready"] is False
    lines = {i["item_key"]: i for i in pending["items"]}
    assert lines["burger_combo"]["steps"] == 8  # 4 steps x 2 units
    assert lines["burger_combo"]["quantity"] == 2
    assert lines["dip_cup"]["steps"] == 1
    assert pending["order"]["order_id"] == open_order["order_id"]
    # Cancelled orders leave the expo.
    client.post(f"/api/v1/orders/{open_order['order_id']}/cancel")
    refs = {t["order"]["external_order_id"] for t in _board(client, "expo")["orders"]}
    assert "E-OPEN" not in refs


def test_expo_lines_carry_course_hold_void_and_the_lines_notes(client: KitchenClient) -> None:
    order = client.confirm(
        {"burger_combo": 1, "dip_cup": 1, "cold_coffee": 1},
        "E-HOLD",
        courses={"cold_coffee": 2},
        hold=[2],
        modifiers={"burger_combo": ["no onion"]},
        allergens={"burger_combo": ["sesame"]},
    )
    client.post(
        f"/api/v1/orders/{order['order_id']}/void", json={"item_key": "dip_cup", "reason": "out"}
    )
    ticket = next(
        t for t in _board(client, "expo")["orders"] if t["order"]["order_id"] == order["order_id"]
    )
    assert ticket["held_courses"] == [2]
    lines = {i["item_key"]: i for i in ticket["items"]}
    assert set(lines) == {"burger_combo", "dip_cup", "cold_coffee"}  # the voided line is kept
    assert (lines["cold_coffee"]["course"], lines["cold_coffee"]["held"]) == (2, True)
    assert (lines["burger_combo"]["course"], lines["burger_combo"]["held"]) == (1, False)
    assert lines["burger_combo"]["modifiers"] == ["no onion"]
    assert lines["burger_combo"]["allergens"] == ["sesame"]
    assert (lines["dip_cup"]["voided"], lines["dip_cup"]["void_reason"]) == (True, "out")
    assert lines["dip_cup"]["steps"] == 0  # its unstarted task was cancelled
    # Fired, the course is no longer held.
    client.post(f"/api/v1/orders/{order['order_id']}/fire", json={"course": 2})
    ticket = next(
        t for t in _board(client, "expo")["orders"] if t["order"]["order_id"] == order["order_id"]
    )
    assert ticket["held_courses"] == []
    assert not any(i["held"] for i in ticket["items"])


def test_history_counts_waiting_tasks_and_ticket_times(client: KitchenClient) -> None:
    order = client.confirm({"cold_coffee": 1}, "H-1")
    client.advance(120)
    _finish(client, order["order_id"])
    client.confirm({"wrap": 1}, "H-2")  # waiting now
    history = _board(client, "history", minutes=60, buckets=12)
    buckets = history["buckets"]
    assert len(buckets) == 12
    assert history["minutes"] == 60
    assert sum(b["completed"] for b in buckets) == 1
    finished = next(b for b in buckets if b["completed"])
    assert finished["avg_ticket_secs"] >= 120
    assert finished["max_ticket_secs"] == finished["avg_ticket_secs"]
    last = buckets[-1]
    assert last["open_orders"] == 1
    assert last["waiting_tasks"] >= 1
    assert buckets[0]["open_orders"] == 0


def test_screen_config_and_bad_board_queries(client: KitchenClient) -> None:
    config = _board(client, "config")
    assert config["warn_secs"] == 300
    assert config["late_secs"] == 480
    assert config["head"] == client.log_head()
    head = client.log_head()
    assert_error(client.get("/api/v1/screens/history", params={"buckets": 1}), 400)
    assert_error(client.get("/api/v1/screens/history", params={"minutes": 100000}), 400)
    assert_error(client.get("/api/v1/screens/station", params={"staff_id": "nope"}), 400)
    assert_error(client.get("/api/v1/screens/station", params={"counter": "x" * 65}), 400)
    assert client.log_head() == head


def test_pages_are_public_and_data_is_not(client: KitchenClient) -> None:
    client.headers.pop("Authorization")
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 302
    assert root.headers["location"] == "/screens/"
    for page in ("/screens", "/screens/", "/screens/station", "/screens/expo", "/screens/manager"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for asset in ("kp.js", "live.js", "station.js", "expo.js", "manager.js", "screens.css"):
        assert client.get(f"/screens/static/{asset}").status_code == 200, asset
    assert client.get("/screens/static/missing.js").status_code == 404
    for board in ("config", "station", "expo", "history"):
        assert_error(client.get(f"/api/v1/screens/{board}"), 401, "unauthorized")
