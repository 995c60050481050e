"""The OpenAPI document covers every route of API.md, with schemas, ids and docs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import KitchenClient
from kangaroo_paw.adapters.http.app import CONTROLLERS
from kangaroo_paw.adapters.http.openapi import SUMMARIES, request_schemas
from kangaroo_paw.settings import Settings

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
    ("post", "/api/v1/recipes/{item_key}/unavailable"),
    ("post", "/api/v1/recipes/{item_key}/available"),
    ("get", "/api/v1/all-day"),
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
    assert set(request["properties"]) >= {
        "items", "external_order_id", "priority",
        "table", "guest", "channel", "note", "modifiers", "allergens",
        "courses", "hold", "pace",
    }  # fmt: skip
    table = next(s for s in request["properties"]["table"]["anyOf"] if s["type"] == "string")
    assert table["maxLength"] == 32
    assert "pattern" in table  # not blank
    assert sorted(request["properties"]["channel"]["enum"]) == ["delivery", "dine_in", "takeaway"]


# -- exactly as enforced ---------------------------------------------------------------------


def _request_body_schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every component a request body refers to, directly or nested, by name."""
    schemas = spec["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found[name] = schemas[name]
                    visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for operation in _operations(spec).values():
        visit(operation.get("requestBody", {}))
    return found


def _objects(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_request_schemas_are_the_decoders_own(spec: dict[str, Any]) -> None:
    """Whatever fields the bodies have: the published schema of each is msgspec's JSON Schema
    of the Struct the server decodes with (so every bound it enforces is stated), every
    object in it refuses unknown fields, and the order limits are the settings'."""
    found = _request_body_schemas(spec)
    assert {"ConfirmOrderRequest", "RecipePut", "RecipeStepIn", "StaffCreate"} <= set(found)
    settings = Settings(store="memory")
    expected = request_schemas(settings)
    for name, schema in found.items():
        assert schema == expected[name], name
        for obj in _objects(schema):
            assert obj["additionalProperties"] is False, name
    items = found["ConfirmOrderRequest"]["properties"]["items"]
    assert items["maxProperties"] == settings.max_lines_per_order
    assert items["additionalProperties"]["maximum"] == settings.max_qty_per_line


def _validator(spec: dict[str, Any], name: str) -> Any:
    jsonschema_rs = pytest.importorskip("jsonschema_rs", reason="schemathesis brings it")
    root = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema_rs.Draft202012Validator(root)


# (method, path, component, body) the server refuses (400, or 422 for a stateless kitchen
# rule): the schema must refuse each too.
REFUSED = [
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {"wrap": 1}, "x": 1}),
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {"wrap": 0}}),
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {"wrap": 51}}),
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {"wrap": 1.5}}),
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {}}),
    (
        "POST",
        "/api/v1/orders/confirm",
        "ConfirmOrderRequest",
        {"items": {f"item_{n}": 1 for n in range(101)}},
    ),
    (
        "POST",
        "/api/v1/orders/confirm",
        "ConfirmOrderRequest",
        {"items": {"wrap": 1}, "external_order_id": " \t\x1c\u3000"},
    ),
    ("POST", "/api/v1/counters", "CounterCreate", {"name": "pass", "capacity": 0}),
    ("POST", "/api/v1/counters", "CounterCreate", {"name": "pass", "capacity": 1001}),
    ("POST", "/api/v1/counters", "CounterCreate", {"name": "has space", "capacity": 1}),
    ("POST", "/api/v1/counters", "CounterCreate", {"name": "-_-", "capacity": 1}),
    ("PATCH", "/api/v1/counters/fryer", "CounterPatch", {"capacity": 5000}),
    ("POST", "/api/v1/staff", "StaffCreate", {"name": "Mia", "skills": []}),
    ("POST", "/api/v1/staff", "StaffCreate", {"name": "  ", "skills": ["adhoc"]}),
    (
        "POST",
        "/api/v1/staff",
        "StaffCreate",
        {"name": "Mia", "skills": ["adhoc"], "max_parallel": 0},
    ),
    (
        "POST",
        "/api/v1/staff",
        "StaffCreate",
        {"name": "Mia", "skills": ["adhoc"], "efficiency_multiplier": 11},
    ),
    ("PUT", "/api/v1/recipes/soup", "RecipePut", {"steps": []}),
    (
        "PUT",
        "/api/v1/recipes/soup",
        "RecipePut",
        {"steps": [{"step_no": 0, "description": "chop", "counter": "adhoc", "estimate_secs": 1}]},
    ),
    (
        "PUT",
        "/api/v1/recipes/soup",
        "RecipePut",
        {"steps": [{"step_no": 1, "description": " ", "counter": "adhoc", "estimate_secs": 1}]},
    ),
    (
        "PUT",
        "/api/v1/recipes/soup",
        "RecipePut",
        {"steps": [{"step_no": 1, "description": "chop", "counter": "adhoc", "estimate_secs": 0}]},
    ),
    (
        "PUT",
        "/api/v1/recipes/soup",
        "RecipePut",
        {
            "steps": [
                {"step_no": n, "description": "chop", "counter": "adhoc", "estimate_secs": 1}
                for n in (1, 2)
            ],
            "dependencies": [{"step_no": 2, "depends_on": 1}, {"depends_on": 1, "step_no": 2}],
        },
    ),
]

# Bodies at the bounds the schema allows: the server accepts each (2xx).
ACCEPTED = [
    ("POST", "/api/v1/orders/confirm", "ConfirmOrderRequest", {"items": {"wrap": 50}}),
    ("POST", "/api/v1/orders/quote", "ConfirmOrderRequest", {"items": {"wrap": 2.0}}),
    ("POST", "/api/v1/counters", "CounterCreate", {"name": "Pass_2-b", "capacity": 1000}),
    ("PATCH", "/api/v1/counters/fryer", "CounterPatch", {"capacity": 1}),
    (
        "POST",
        "/api/v1/staff",
        "StaffCreate",
        {"name": "Mia", "skills": ["adhoc"], "max_parallel": 20, "efficiency_multiplier": 0.1},
    ),
    (
        "PUT",
        "/api/v1/recipes/soup",
        "RecipePut",
        {
            "steps": [
                {"step_no": 1, "description": "chop", "counter": "adhoc", "estimate_secs": 0.5},
                {"step_no": 2, "description": "boil", "counter": "adhoc", "estimate_secs": 86400},
            ],
            "dependencies": [{"step_no": 2, "depends_on": 1}],
        },
    ),
]


@pytest.mark.parametrize(("method", "path", "component", "body"), REFUSED)
def test_what_the_server_refuses_the_schema_refuses(
    client: KitchenClient,
    spec: dict[str, Any],
    method: str,
    path: str,
    component: str,
    body: Any,
) -> None:
    assert not _validator(spec, component).is_valid(body)
    head = client.log_head()
    assert client.request(method, path, json=body).status_code in (400, 422)
    assert client.log_head() == head


@pytest.mark.parametrize(("method", "path", "component", "body"), ACCEPTED)
def test_what_the_schema_allows_at_its_bounds_the_server_accepts(
    client: KitchenClient,
    spec: dict[str, Any],
    method: str,
    path: str,
    component: str,
    body: Any,
) -> None:
    _validator(spec, component).validate(body)
    response = client.request(method, path, json=body)
    assert response.status_code in (200, 201), response.text


def test_a_query_parameter_given_twice_or_a_malformed_cursor_is_refused(
    client: KitchenClient, spec: dict[str, Any]
) -> None:
    assert client.get("/api/v1/tasks?counter=grill&counter=fryer").status_code == 400
    (cursor,) = [
        p
        for p in _operations(spec)[("get", "/api/v1/orders")]["parameters"]
        if p["name"] == "cursor"
    ]
    assert "pattern" in str(cursor["schema"])
    assert client.get("/api/v1/orders?cursor=12_not-an-id").status_code == 400
    client.confirm({"wrap": 1})
    client.confirm({"wrap": 2})
    first = client.get("/api/v1/orders?limit=1").json()
    page = client.get(f"/api/v1/orders?limit=1&cursor={first['next_cursor']}")
    assert page.status_code == 200
    assert page.json()["orders"]


# -- summaries, the event stream, the docs UI ---------------------------------------------------


def test_every_operation_has_a_written_summary(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    ids = {op["operationId"] for op in operations.values()}
    assert set(SUMMARIES) <= ids  # no entry for an operation that is gone
    for key, op in operations.items():
        summary = op["summary"]
        assert " " in summary or summary.islower(), (key, summary)  # not Litestar's "GetOrder"
        assert len(summary) <= 80, key
    assert operations[("get", "/api/v1/orders/{order_id}")]["summary"] == "Read an order"


def test_the_event_stream_is_documented(spec: dict[str, Any]) -> None:
    stream = _operations(spec)[("get", "/api/v1/stream")]
    content = stream["responses"]["200"]["content"]["text/event-stream"]
    assert content["schema"]["type"] == "string"
    for fragment in ("id: <notification_id>", "data:", "Event", "keepalive", "Last-Event-ID"):
        assert fragment in content["schema"]["description"], fragment
    assert "\nid: " in content["example"]
    assert "Event" in spec["components"]["schemas"]


def test_the_docs_ui_is_public_and_served_offline(client: KitchenClient) -> None:
    anonymous = {"Authorization": "Bearer not-a-token-of-this-kitchen"}
    assert client.get("/api/v1/orders", headers=anonymous).status_code == 401
    page = client.get("/docs", headers=anonymous)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert not re.search(r"(?i)https?:|//[a-z0-9]", html.replace("<!doctype html>", ""))
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= set(references)
    for reference in references:
        asset = client.get(reference, headers=anonymous)
        assert asset.status_code == 200, reference
        assert asset.content, reference
    init = client.get("/docs/assets/init.js", headers=anonymous).text
    assert "/schema/openapi.json" in init
    assert "validatorUrl: null" in init
    assert not re.search(r"https?:", init.split("\n", 2)[2])  # below its comment lines
    assert client.get("/docs/assets/LICENSE", headers=anonymous).status_code == 200
    assert client.get("/schema/openapi.json", headers=anonymous).status_code == 200


def test_no_docs_page_loads_from_a_cdn(client: KitchenClient) -> None:
    for path in ("/schema", "/schema/swagger", "/schema/redoc", "/schema/scalar"):
        response = client.get(path)
        assert "cdn." not in response.text, path


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
