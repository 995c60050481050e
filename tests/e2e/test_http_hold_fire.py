"""Hold and fire over HTTP: courses, hold and pace on confirm, the fire route and its errors."""

from __future__ import annotations

from conftest import KitchenClient, assert_error

ORDER = "/api/v1/orders/confirm"


def test_confirm_with_a_held_course_shows_it_on_the_order_and_tasks(client: KitchenClient) -> None:
    order = client.confirm(
        {"burger_combo": 1, "cold_coffee": 1},
        "table-7",
        courses={"cold_coffee": 2},
        hold=[2],
    )
    assert order["courses"] == {"burger_combo": 1, "cold_coffee": 2}
    assert order["held_courses"] == [2]
    assert order["pace"] == "asap"
    held = [t for t in order["tasks"] if t["held"]]
    assert {t["item_key"] for t in held} == {"cold_coffee"}
    assert len(held) == 2
    assert not set(order["ready_task_ids"]) & {t["task_id"] for t in held}
    queued = {t["task_id"] for t in client.get("/api/v1/queue").json()["tasks"]}
    assert not queued & {t["task_id"] for t in held}


def test_fire_releases_the_course_and_allocation_runs(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1}, "fire-1", hold=True)
    assert order["ready_task_ids"] == []
    response = client.post(f"/api/v1/orders/{order['order_id']}/fire", json={"course": 1})
    assert response.status_code == 200, response.text
    fired = response.json()
    assert fired["held_courses"] == []
    assert not any(t["held"] for t in fired["tasks"])
    (task_id,) = fired["ready_task_ids"]
    client.advance(1)  # the allocation the fire asked for
    assert client.task(task_id)["status"] == "ASSIGNED"


def test_fire_with_an_empty_body_fires_every_held_course(client: KitchenClient) -> None:
    order = client.confirm(
        {"dip_cup": 1, "wrap": 1, "cold_coffee": 1},
        "fire-2",
        courses={"wrap": 2, "cold_coffee": 3},
        hold=[2, 3],
    )
    fired = client.post(f"/api/v1/orders/{order['order_id']}/fire", json={}).json()
    assert fired["held_courses"] == []


def test_fire_errors(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1, "wrap": 1}, "fire-3", courses={"wrap": 2}, hold=[2])
    fire = f"/api/v1/orders/{order['order_id']}/fire"
    head = client.log_head()
    assert_error(client.post(fire, json={"course": 1}), 409, "not_held")
    assert_error(client.post(fire, json={"course": 0}), 400, "invalid_request")
    assert_error(client.post(fire, json={"course": "2"}), 400, "invalid_request")
    assert_error(client.post(fire, json={"courses": 2}), 400, "invalid_request")
    unknown = "/api/v1/orders/00000000-0000-0000-0000-000000000001/fire"
    assert_error(client.post(unknown, json={}), 404, "not_found")
    assert_error(client.post("/api/v1/orders/nope/fire", json={}), 404, "not_found")
    assert client.log_head() == head
    assert client.post(f"/api/v1/orders/{order['order_id']}/cancel").status_code == 200
    assert_error(client.post(fire, json={"course": 2}), 409, "invalid_state")


def test_confirm_plan_errors_write_nothing(client: KitchenClient) -> None:
    head = client.log_head()
    bad_schema = [
        {"courses": {"dip_cup": 0}},
        {"courses": {"dip_cup": 10}},
        {"hold": [0]},
        {"hold": "yes"},
        {"pace": "slow"},
    ]
    for extra in bad_schema:
        response = client.post(ORDER, json={"items": {"dip_cup": 1}, **extra})
        assert_error(response, 400, "invalid_request")
    for extra in ({"courses": {"pizza": 2}}, {"hold": [2]}):
        response = client.post(ORDER, json={"items": {"dip_cup": 1}, **extra})
        assert_error(response, 422, "invalid_order")
    assert client.log_head() == head


def test_an_identical_confirm_with_a_plan_replays_and_another_conflicts(
    client: KitchenClient,
) -> None:
    body = {
        "external_order_id": "plan-1",
        "items": {"burger_combo": 1, "dip_cup": 1},
        "courses": {"dip_cup": 2},
        "hold": [2],
        "pace": "together",
    }
    assert client.post(ORDER, json=body).status_code == 201
    assert client.post(ORDER, json=body).status_code == 200
    assert_error(client.post(ORDER, json={**body, "hold": None}), 409, "conflict")
    assert_error(client.post(ORDER, json={**body, "pace": "asap"}), 409, "conflict")


def test_a_paced_order_releases_its_short_item_later(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1, "dip_cup": 1}, "pace-1", pace="together")
    assert order["pace"] == "together"
    dip = next(t for t in order["tasks"] if t["item_key"] == "dip_cup")
    assert dip["ready_at"] is None
    assert not dip["held"]
    # The burger's forecast finish is about 125 s out (its critical path plus the reaction
    # delays), the dip's about 12 s: the dip waits for the difference, not for nothing.
    client.advance(100)
    assert client.task(dip["task_id"])["ready_at"] is None
    client.advance(30)
    assert client.task(dip["task_id"])["ready_at"] is not None
