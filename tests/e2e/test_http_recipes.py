"""Recipes over HTTP: define, revise, inferred dependencies, retire."""

from __future__ import annotations

from typing import Any

from conftest import KitchenClient, assert_error


def _step(no: int, description: str, counter: str, machine: str | None, secs: float) -> Any:
    return {
        "step_no": no,
        "description": description,
        "counter": counter,
        "machine": machine,
        "estimate_secs": secs,
        "base_priority": 10,
    }


NACHOS = [
    _step(1, "warm chips", "microwave", "micro-1", 30),
    _step(2, "grill chicken", "griller", "grill-1", 60),
    _step(3, "plate nachos", "adhoc", "packing-1", 20),
]


def test_define_infers_assembly_fan_in(client: KitchenClient) -> None:
    created = client.put("/api/v1/recipes/nachos", json={"steps": NACHOS})
    assert created.status_code == 201
    recipe = created.json()
    assert recipe["item_key"] == "nachos"
    assert recipe["revision"] == 1
    assert recipe["explicit_dependencies"] is False
    assert recipe["dependencies"] == []
    assert recipe["effective_dependencies"] == [
        {"step_no": 3, "depends_on": 1},
        {"step_no": 3, "depends_on": 2},
    ]
    order = client.confirm({"nachos": 2})
    plate = [t for t in order["tasks"] if t["step_no"] == 3]
    assert len(plate) == 2
    for task in plate:  # edges never cross units
        parents = [t for t in order["tasks"] if t["task_id"] in task["depends_on"]]
        assert {p["unit"] for p in parents} == {task["unit"]}
        assert {p["step_no"] for p in parents} == {1, 2}


def test_single_capacity_machine_serializes_steps(client: KitchenClient) -> None:
    client.post("/api/v1/machines", json={"name": "press-1", "counter": "griller", "capacity": 1})
    steps = [
        _step(1, "press bread", "griller", "press-1", 20),
        _step(2, "press panini", "griller", "press-1", 60),
    ]
    recipe = client.put("/api/v1/recipes/panini", json={"steps": steps}).json()
    assert recipe["effective_dependencies"] == [{"step_no": 2, "depends_on": 1}]


def test_revise_with_explicit_dependencies(client: KitchenClient) -> None:
    client.put("/api/v1/recipes/nachos", json={"steps": NACHOS})
    old = client.confirm({"nachos": 1}, "before-revision")
    revised = client.put(
        "/api/v1/recipes/nachos",
        json={
            "steps": [*NACHOS, _step(4, "add salsa", "adhoc", None, 5)],
            "dependencies": [{"step_no": 3, "depends_on": 2}, {"step_no": 4, "depends_on": 3}],
        },
    )
    assert revised.status_code == 200
    body = revised.json()
    assert body["revision"] == 2
    assert body["explicit_dependencies"] is True
    assert body["effective_dependencies"] == [
        {"step_no": 3, "depends_on": 2},
        {"step_no": 4, "depends_on": 3},
    ]
    assert client.get("/api/v1/recipes/nachos").json() == body
    assert len(client.order(old["order_id"])["tasks"]) == 3  # confirmed orders keep old steps
    assert len(client.confirm({"nachos": 1})["tasks"]) == 4


def test_list_and_retire(client: KitchenClient) -> None:
    keys = [r["item_key"] for r in client.get("/api/v1/recipes").json()["recipes"]]
    assert keys == ["burger_combo", "cold_coffee", "dip_cup", "wrap"]
    retired = client.delete("/api/v1/recipes/dip_cup")
    assert retired.status_code == 200
    assert retired.json()["retired"] is True
    keys = [r["item_key"] for r in client.get("/api/v1/recipes").json()["recipes"]]
    assert "dip_cup" not in keys
    everything = client.get("/api/v1/recipes", params={"include_retired": "true"}).json()
    assert "dip_cup" in [r["item_key"] for r in everything["recipes"]]
    head = client.log_head()
    assert_error(
        client.post("/api/v1/orders/confirm", json={"items": {"dip_cup": 1}}), 422, "unknown_item"
    )
    assert_error(client.delete("/api/v1/recipes/dip_cup"), 409, "invalid_state")
    assert client.log_head() == head
