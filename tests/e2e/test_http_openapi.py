"""The OpenAPI document covers every route of API.md, with schemas, ids and docs."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import KitchenClient
from kangaroo_paw.adapters.http.app import CONTROLLERS

API_MD_ROUTES = {
    ("post", "/api/v1/orders/confirm"),
    ("get", "/api/v1/orders/{order_id}"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders/{order_id}/cancel"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/{task_id}/start"),
    ("post", "/api/v1/tasks/{task_id}/complete"),
    ("post", "/api/v1/allocator/run-once"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/counters"),
    ("post", "/api/v1/counters"),
    ("patch", "/api/v1/counters/{name}"),
    ("get", "/api/v1/machines"),
    ("post", "/api/v1/machines"),
    ("post", "/api/v1/machines/{name}/down"),
    ("post", "/api/v1/machines/{name}/up"),
    ("get", "/api/v1/staff"),
    ("post", "/api/v1/staff"),
    ("patch", "/api/v1/staff/{staff_id}"),
    ("post", "/api/v1/staff/{staff_id}/break/start"),
    ("post", "/api/v1/staff/{staff_id}/break/end"),
    ("get", "/api/v1/recipes"),
    ("get", "/api/v1/recipes/{item_key}"),
    ("put", "/api/v1/recipes/{item_key}"),
    ("delete", "/api/v1/recipes/{item_key}"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/stream"),
    ("get", "/health"),
    ("get", "/health/ready"),
}
WITH_BODY = {
    ("post", "/api/v1/orders/confirm"),
    ("post", "/api/v1/tasks/{task_id}/start"),
    ("post", "/api/v1/counters"),
    ("patch", "/api/v1/counters/{name}"),
    ("post", "/api/v1/machines"),
    ("post", "/api/v1/staff"),
    ("patch", "/api/v1/staff/{staff_id}"),
    ("put", "/api/v1/recipes/{item_key}"),
}


@pytest.fixture
def spec(client: KitchenClient) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_api_md_route_is_documented(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert set(operations) >= API_MD_ROUTES
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))
    for key, op in operations.items():
        assert op.get("description"), key  # the handler's one-line docstring
        assert op.get("tags"), key


def test_bodies_and_responses_have_schemas(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    for key in WITH_BODY:
        content = operations[key]["requestBody"]["content"]["application/json"]
        assert "$ref" in content["schema"] or "oneOf" in content["schema"], key
    error_ref = "#/components/schemas/Error"
    for key, op in operations.items():
        ok = [s for s in op["responses"] if s.startswith("2")]
        assert ok, key
        for status, response in op["responses"].items():
            if status.startswith("4") or (status == "503" and key != ("get", "/health/ready")):
                assert response["content"]["application/json"]["schema"]["$ref"] == error_ref
    confirm = operations[("post", "/api/v1/orders/confirm")]["responses"]
    assert {"200", "201", "400", "409", "413", "422", "503"} <= set(confirm)
    assert set(operations[("put", "/api/v1/recipes/{item_key}")]["responses"]) >= {"200", "201"}
    request = spec["components"]["schemas"]["ConfirmOrderRequest"]
    assert request["required"] == ["items"]
    assert set(request["properties"]) == {
        "items",
        "external_order_id",
        "priority",
        "courses",
        "hold",
        "pace",
    }


def test_interactive_docs_load(client: KitchenClient) -> None:
    for path in ("/schema", "/schema/swagger", "/schema/redoc"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<html" in response.text.lower()


def test_controllers_declare_path_and_tags() -> None:
    for controller in CONTROLLERS:
        assert getattr(controller, "path", "").startswith("/"), controller
        assert getattr(controller, "tags", None), controller
        assert controller.__doc__, controller


def test_status_filters_document_every_status_they_accept(spec: dict[str, Any]) -> None:
    operations = _operations(spec)

    def choices(key: tuple[str, str]) -> list[str | None]:
        (status,) = [p for p in operations[key]["parameters"] if p["name"] == "status"]
        enum: list[str | None] = status["schema"]["enum"]
        return enum

    assert choices(("get", "/api/v1/orders")) == [
        "CONFIRMED", "IN_PROGRESS", "PART_COMPLETED", "COMPLETED", "CANCELLED", None,
    ]  # fmt: skip
    assert choices(("get", "/api/v1/tasks")) == [
        "READY", "WAITING", "UNASSIGNED", "ASSIGNED", "STARTED", "COMPLETED", "CANCELLED", None,
    ]  # fmt: skip


def test_bodies_built_on_views_document_only_the_api_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    task = schemas["Task"]
    assert "assignment_no" not in task["properties"]
    assert sorted(task["required"]) == sorted(task["properties"])
    order = schemas["Order"]
    assert {"promised_secs", "ready_task_ids", "late"} <= set(order["required"])
    assert order["properties"]["tasks"]["items"] == {"$ref": "#/components/schemas/Task"}
    assert "efficiency_multiplier" in schemas["Staff"]["required"]
    assert not any(name.endswith(("Fields", "View")) for name in schemas)
