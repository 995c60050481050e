"""Every error status of API.md's table, the single error body, and no write on any error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from conftest import KitchenClient, assert_error

ORDER = "/api/v1/orders/confirm"
JSON = {"content-type": "application/json"}  # other media types are a 415


@contextmanager
def nothing_written(client: KitchenClient) -> Iterator[None]:
    before = client.log_head()
    yield
    assert client.log_head() == before, "an error response must not write events"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{", {}),
        (b"not json", {}),
        (b"", {}),
        (b"null", {}),
        (b"[]", {}),
        (b'{"items": {"burger_combo": "1"}}', {}),
        (b'{"items": {"burger_combo": 1.5}}', {}),
        (b'{"items": {"burger_combo": 1}, "coupon": "FREE"}', {}),
        (b'{"items": {"burger_combo": 1}, "priority": "asap"}', {}),
        (b'{"items": {"burger_combo": 1}, "external_order_id": ""}', {}),
        (b'{"items": ["burger_combo"]}', {}),
    ],
)
def test_400_malformed_bodies(client: KitchenClient, body: bytes, headers: dict[str, str]) -> None:
    with nothing_written(client):
        error = assert_error(
            client.post(ORDER, content=body, headers=JSON | headers), 400, "invalid_request"
        )
    assert "details" in error


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/counters", {"name": "pass", "capacity": "2"}),
        ("POST", "/api/v1/counters", {"name": "pass", "capacity": 2, "colour": "red"}),
        ("PATCH", "/api/v1/counters/fryer", {"capacity": 2, "name": "x"}),
        ("POST", "/api/v1/machines", {"name": "oven-1", "counter": "griller"}),
        ("POST", "/api/v1/staff", {"name": "Mia", "skills": "griller"}),
        ("PUT", "/api/v1/recipes/soup", {"steps": [{"step_no": 1}]}),
        ("PUT", "/api/v1/recipes/soup", {"steps": [], "deps": []}),
        (
            "PUT",
            "/api/v1/recipes/soup",
            {
                "steps": [
                    {"step_no": 1, "description": "boil", "counter": "adhoc", "estimate_secs": 1e9}
                ]
            },
        ),
        (
            "PUT",
            "/api/v1/recipes/soup",
            {
                "steps": [
                    {
                        "step_no": 10**30,
                        "description": "boil",
                        "counter": "adhoc",
                        "estimate_secs": 1,
                    }
                ]
            },
        ),
    ],
)
def test_400_wrong_types_and_unknown_fields(
    client: KitchenClient, method: str, path: str, body: Any
) -> None:
    with nothing_written(client):
        assert_error(client.request(method, path, json=body), 400, "invalid_request")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks?status=DONE",
        "/api/v1/tasks?staff_id=nobody",
        "/api/v1/orders?status=LOST",
        "/api/v1/orders?limit=0",
        "/api/v1/orders?cursor=garbage",
        "/api/v1/queue?limit=100000",
        "/api/v1/events?after=-1",
        "/api/v1/stream?after=x",
        "/api/v1/events?after=99999999999999999999",  # beyond any store's 64-bit ids
        "/api/v1/events?after=9223372036854775807",
    ],
)
def test_400_bad_query_parameters(client: KitchenClient, path: str) -> None:
    assert_error(client.get(path), 400, "invalid_request")


@pytest.mark.parametrize("last_event_id", ["abc", "-1", "99999999999999999999"])
def test_400_bad_last_event_id(client: KitchenClient, last_event_id: str) -> None:
    response = client.get("/api/v1/stream", headers={"Last-Event-ID": last_event_id})
    assert_error(response, 400, "invalid_request")


def test_403_start_by_another_cook(client: KitchenClient) -> None:
    order = client.confirm({"dip_cup": 1})
    (task_id,) = order["ready_task_ids"]
    client.run_once()
    assigned = client.task(task_id)["assigned_staff_id"]
    other = next(
        s["staff_id"]
        for s in client.get("/api/v1/staff").json()["staff"]
        if s["staff_id"] != assigned
    )
    with nothing_written(client):
        error = assert_error(
            client.post(f"/api/v1/tasks/{task_id}/start", json={"staff_id": other}),
            403,
            "forbidden",
        )
    assert task_id in error["message"]
    assert client.task(task_id)["status"] == "ASSIGNED"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v1/orders/{uuid.uuid4()}"),
        ("POST", f"/api/v1/orders/{uuid.uuid4()}/cancel"),
        ("GET", f"/api/v1/tasks/{uuid.uuid4()}"),
        ("POST", f"/api/v1/tasks/{uuid.uuid4()}/start"),
        ("POST", f"/api/v1/tasks/{uuid.uuid4()}/complete"),
        ("GET", f"/api/v1/staff/{uuid.uuid4()}"),
        ("POST", f"/api/v1/staff/{uuid.uuid4()}/break/start"),
        ("GET", "/api/v1/tasks/not-a-uuid"),  # a path id that is not a UUID: 404, not 400
        ("GET", "/api/v1/orders/42"),
        ("POST", "/api/v1/staff/asha/break/end"),
        ("PATCH", "/api/v1/counters/pizza"),
        ("POST", "/api/v1/machines/oven-9/down"),
        ("POST", "/api/v1/machines/fryer/down"),  # a counter is not a machine
        ("GET", "/api/v1/recipes/pizza"),
        ("DELETE", "/api/v1/recipes/pizza"),
        ("GET", "/api/v1/nothing-here"),
    ],
)
def test_404_unknown_ids_and_routes(client: KitchenClient, method: str, path: str) -> None:
    body = {"capacity": 3} if method == "PATCH" else None
    with nothing_written(client):
        assert_error(client.request(method, path, json=body), 404, "not_found")


def test_405_wrong_method_keeps_the_error_body(client: KitchenClient) -> None:
    response = client.delete(ORDER)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_409_task_transitions(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1})
    waiting = next(t["task_id"] for t in order["tasks"] if t["step_no"] == 4)
    ready = order["ready_task_ids"][0]
    with nothing_written(client):
        error = assert_error(client.post(f"/api/v1/tasks/{waiting}/start"), 409, "invalid_state")
        assert error["details"]["status"] == "UNASSIGNED"
        assert_error(client.post(f"/api/v1/tasks/{ready}/complete"), 409, "invalid_state")
    client.run_once()
    with nothing_written(client):
        assert_error(client.post(f"/api/v1/tasks/{ready}/complete"), 409, "invalid_state")
    client.post(f"/api/v1/tasks/{ready}/start")
    with nothing_written(client):
        assert_error(client.post(f"/api/v1/tasks/{ready}/start"), 409, "invalid_state")


def test_409_external_id_reused_with_other_items(client: KitchenClient) -> None:
    client.confirm({"wrap": 1}, "ord-7")
    with nothing_written(client):
        error = assert_error(
            client.post(ORDER, json={"external_order_id": "ord-7", "items": {"wrap": 2}}),
            409,
            "conflict",
        )
        assert error["details"]["external_order_id"] == "ord-7"
        assert_error(
            client.post(
                ORDER,
                json={"external_order_id": "ord-7", "items": {"wrap": 1}, "priority": "rush"},
            ),
            409,
            "conflict",
        )


def test_409_resources(client: KitchenClient) -> None:
    with nothing_written(client):
        assert_error(client.post("/api/v1/counters", json={"name": "fryer", "capacity": 1}), 409)
        assert_error(
            client.post(
                "/api/v1/staff", json={"name": "asha", "skills": ["fryer"], "max_parallel": 1}
            ),
            409,
            "conflict",
        )
    client.confirm({"cold_coffee": 2})
    assert len(client.run_once()["assigned"]) == 2  # both blends hold the beverage counter
    with nothing_written(client):
        error = assert_error(
            client.patch("/api/v1/counters/beverage", json={"capacity": 1}),
            409,
            "capacity_exceeded",
        )
    assert "beverage" in error["message"]
    ravi = next(s for s in client.get("/api/v1/staff").json()["staff"] if s["name"] == "Ravi")
    with nothing_written(client):
        assert_error(
            client.patch(f"/api/v1/staff/{ravi['staff_id']}", json={"max_parallel": 1}),
            409,
            "capacity_exceeded",
        )
        assert_error(client.post(f"/api/v1/staff/{ravi['staff_id']}/break/end"), 409)


def test_413_body_over_the_limit(client: KitchenClient) -> None:
    limit = client.embedded.settings.max_body_bytes
    padding = "x" * (limit + 1)
    with nothing_written(client):
        assert_error(
            client.post(ORDER, json={"items": {"wrap": 1}, "external_order_id": padding}),
            413,
            "payload_too_large",
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"items": {"pizza": 1}}, "unknown_item"),
        ({"items": {"wrap": 1, "pizza": 1, "sushi": 2}}, "unknown_item"),
        ({"items": {"wrap": 0}}, "invalid_quantity"),
        ({"items": {"wrap": -3}}, "invalid_quantity"),
        ({"items": {"wrap": 51}}, "invalid_quantity"),
        ({"items": {}}, "invalid_order"),
        ({"items": {f"item_{n}": 1 for n in range(101)}}, "invalid_order"),
        ({"items": {"wrap": 1}, "external_order_id": "   "}, "invalid_order"),
        ({"items": {"wrap": 1}, "external_order_id": "x" * 129}, None),
    ],
)
def test_422_semantically_invalid_orders(
    client: KitchenClient, body: dict[str, Any], code: str | None
) -> None:
    with nothing_written(client):
        response = client.post(ORDER, json=body)
    if code is None:  # a length the schema declares: 400
        assert_error(response, 400, "invalid_request")
    else:
        assert_error(response, 422, code)


def _step(no: int, description: str, counter: str = "adhoc", **extra: Any) -> dict[str, Any]:
    return {
        "step_no": no,
        "description": description,
        "counter": counter,
        "estimate_secs": 10,
        **extra,
    }


@pytest.mark.parametrize(
    ("item_key", "body", "fragment"),
    [
        (
            "soup",
            {
                "steps": [_step(1, "chop"), _step(2, "boil")],
                "dependencies": [{"step_no": 1, "depends_on": 2}, {"step_no": 2, "depends_on": 1}],
            },
            "cycle",
        ),
        (
            "soup",
            {"steps": [_step(1, "chop")], "dependencies": [{"step_no": 1, "depends_on": 9}]},
            "missing step 9",
        ),
        ("soup", {"steps": [_step(1, "chop", counter="bakery")]}, "unknown counter"),
        ("soup", {"steps": [_step(1, "chop", machine="oven-9")]}, "unknown machine"),
        ("soup", {"steps": [_step(1, "chop", machine="grill-1")]}, "belongs to counter"),
        ("soup", {"steps": [_step(1, "chop"), _step(1, "boil")]}, "used twice"),
        ("soup", {"steps": []}, "no steps"),
        ("soup", {"steps": [_step(1, "chop", estimate_secs=0)]}, "estimate_secs"),
        ("Soup!", {"steps": [_step(1, "chop")]}, "item key"),
    ],
)
def test_422_invalid_recipes(
    client: KitchenClient, item_key: str, body: dict[str, Any], fragment: str
) -> None:
    with nothing_written(client):
        error = assert_error(
            client.put(f"/api/v1/recipes/{item_key}", json=body), 422, "invalid_recipe"
        )
    assert fragment in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/counters", {"name": "pass", "capacity": 0}),
        ("POST", "/api/v1/counters", {"name": "has space", "capacity": 1}),
        ("POST", "/api/v1/machines", {"name": "oven-1", "counter": "bakery", "capacity": 1}),
        ("POST", "/api/v1/staff", {"name": "Mia", "skills": []}),
        ("POST", "/api/v1/staff", {"name": "Mia", "skills": ["bakery"]}),
        ("POST", "/api/v1/staff", {"name": "Mia", "skills": ["adhoc"], "max_parallel": 0}),
        (
            "POST",
            "/api/v1/staff",
            {"name": "Mia", "skills": ["adhoc"], "shift_start": "25:00", "shift_end": "10:00"},
        ),
        (
            "POST",
            "/api/v1/staff",
            {
                "name": "Mia",
                "skills": ["adhoc"],
                "shift_start": "0001-01-01T00:00:00+01:00",
                "shift_end": "0001-01-02T00:00:00+01:00",
            },
        ),
        ("PATCH", "/api/v1/counters/fryer", {"capacity": 5000}),
    ],
)
def test_422_invalid_resources(client: KitchenClient, method: str, path: str, body: Any) -> None:
    with nothing_written(client):
        assert_error(client.request(method, path, json=body), 422, "invalid_resource")


def test_503_when_the_event_store_is_unreachable(
    client: KitchenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = client.confirm({"wrap": 1}, "before-outage")
    datastore = client.embedded.kitchen.recorder.datastore  # type: ignore[attr-defined]

    @contextmanager
    def unreachable(*, commit: bool) -> Iterator[None]:
        raise OperationalError("unable to open database file")
        yield  # pragma: no cover

    head = client.log_head()
    monkeypatch.setattr(datastore, "get_connection", unreachable)
    monkeypatch.setattr(client.embedded.runtime, "drain", lambda: 0)
    response = client.post(ORDER, json={"items": {"wrap": 1}, "external_order_id": "during"})
    error = assert_error(response, 503, "unavailable")
    assert error["details"] == {"component": "event_store"}
    assert response.headers["retry-after"] == "1"
    assert_error(client.get(f"/api/v1/orders/{order['order_id']}"), 503, "unavailable")
    assert_error(client.get("/api/v1/events"), 503, "unavailable")
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["components"]["event_store"]["status"] == "down"
    assert ready.json()["error"]["details"] == {"down": ["event_store"]}
    assert client.get("/health").status_code == 200  # the process itself is up
    monkeypatch.undo()
    assert client.log_head() == head
    assert client.get("/health/ready").status_code == 200
    assert client.confirm({"wrap": 1}, "after-outage")["status"] == "CONFIRMED"


def test_a_bug_is_a_bare_500(client: KitchenClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.embedded.kitchen, "get_recipe", broken)
    response = client.get("/api/v1/recipes/wrap")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert error["details"] == {}
