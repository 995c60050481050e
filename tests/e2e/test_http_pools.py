"""Machine pools over HTTP: a machine's ``kind``, a recipe step's ``machine_kind``, their
errors, and the dispatcher moving a pool's work to a live machine when one goes down."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import KitchenClient, assert_error

FRIES_STEP = {
    "step_no": 1,
    "description": "fry fries",
    "counter": "fryer",
    "estimate_secs": 90,
    "machine_kind": "deep-fryer",
}


def _machines(client: KitchenClient) -> dict[str, Any]:
    return {m["name"]: m for m in client.get("/api/v1/machines").json()["machines"]}


def _pool(client: KitchenClient) -> None:
    """Two deep fryers of one kind on the demo kitchen's fryer counter, and fries on them."""
    for name in ("deep-a", "deep-b"):
        response = client.post(
            "/api/v1/machines",
            json={"name": name, "counter": "fryer", "capacity": 1, "kind": "deep-fryer"},
        )
        assert response.status_code == 201, response.text
    response = client.put("/api/v1/recipes/fries", json={"steps": [FRIES_STEP]})
    assert response.status_code == 201, response.text


def test_a_machine_has_a_kind_its_name_by_default(client: KitchenClient) -> None:
    added = client.post(
        "/api/v1/machines",
        json={"name": "fryer-2", "counter": "fryer", "capacity": 2, "kind": "fryer-1"},
    )
    assert added.status_code == 201
    assert added.json() == {
        "name": "fryer-2",
        "counter": "fryer",
        "capacity": 2,
        "up": True,
        "in_use": 0,
        "kind": "fryer-1",
    }
    machines = _machines(client)
    assert machines["fryer-1"]["kind"] == "fryer-1"  # registered without one
    assert machines["fryer-2"]["kind"] == "fryer-1"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("two words", 422, "invalid_resource"),
        ("x" * 65, 400, "invalid_request"),
        ("", 400, "invalid_request"),
        (7, 400, "invalid_request"),
    ],
)
def test_a_bad_machine_kind_is_refused_and_writes_nothing(
    client: KitchenClient, kind: Any, status: int, code: str
) -> None:
    head = client.log_head()
    response = client.post(
        "/api/v1/machines",
        json={"name": "fryer-2", "counter": "fryer", "capacity": 1, "kind": kind},
    )
    assert_error(response, status, code)
    assert client.log_head() == head


def test_a_step_may_name_a_machine_kind(client: KitchenClient) -> None:
    _pool(client)
    recipe = client.get("/api/v1/recipes/fries").json()
    assert recipe["steps"][0]["machine_kind"] == "deep-fryer"
    assert recipe["steps"][0]["machine"] is None
    burger = client.get("/api/v1/recipes/burger_combo").json()
    assert burger["steps"][2]["machine_kind"] is None  # a step naming its machine


@pytest.mark.parametrize(
    ("change", "status", "code", "words"),
    [
        ({"machine": "fryer-1"}, 422, "invalid_recipe", "not both"),
        ({"machine_kind": "oven"}, 422, "invalid_recipe", "no machine of kind 'oven'"),
        ({"machine_kind": "grill-1"}, 422, "invalid_recipe", "counter 'fryer' has no machine"),
        ({"machine_kind": ""}, 400, "invalid_request", ""),
        ({"machine_kind": "k" * 65}, 400, "invalid_request", ""),
    ],
)
def test_a_bad_machine_kind_in_a_step_is_refused_and_writes_nothing(
    client: KitchenClient, change: dict[str, Any], status: int, code: str, words: str
) -> None:
    _pool(client)
    head = client.log_head()
    response = client.put("/api/v1/recipes/chips", json={"steps": [{**FRIES_STEP, **change}]})
    error = assert_error(response, status, code)
    assert words in error["message"]
    assert client.log_head() == head


def test_a_pool_keeps_working_when_one_machine_goes_down(client: KitchenClient) -> None:
    _pool(client)
    client.clock.advance(1)
    first = client.confirm({"fries": 1}, "pool-1")["tasks"][0]
    client.clock.advance(1)
    second = client.confirm({"fries": 1}, "pool-2")["tasks"][0]
    assert first["machine_kind"] == "deep-fryer"
    run = client.run_once()
    placed = {a["task_id"]: a["machine"] for a in run["assigned"]}
    assert placed == {first["task_id"]: "deep-a", second["task_id"]: "deep-b"}
    started = client.post(f"/api/v1/tasks/{first['task_id']}/start")
    assert started.status_code == 200
    down = client.post("/api/v1/machines/deep-a/down")
    assert (down.json()["up"], down.json()["in_use"]) == (False, 1)
    running = client.task(first["task_id"])
    assert running["status"] == "STARTED"
    assert running["interrupted_at"] is not None
    down = client.post("/api/v1/machines/deep-b/down")
    assert down.json()["in_use"] == 0  # its unstarted task went back to the queue
    waiting = client.task(second["task_id"])
    assert (waiting["status"], waiting["assigned_machine"]) == ("UNASSIGNED", None)
    assert client.run_once()["blocked"]["machine_down_or_full"] == 1
    client.post("/api/v1/machines/deep-b/up")
    assert [a["machine"] for a in client.run_once()["assigned"]] == ["deep-b"]
    types = [e["type"] for e in client.get("/api/v1/events").json()["events"]]
    assert "TASK_INTERRUPTED" in types
    assert "TASK_REROUTED" in types
