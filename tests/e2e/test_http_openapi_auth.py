"""The OpenAPI document describes access: which operations need a bearer token, their 401,
and a 403 wherever a role can be refused; the public probes need none. (That the server
answers as documented, role by role, is checked in test_http_auth.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient

from conftest import KitchenClient
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.composition import EmbeddedKitchen
from kangaroo_paw.settings import Settings

PUBLIC = {"health", "ready", "metrics"}
WRITES = {"post", "put", "patch", "delete"}
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


@pytest.fixture
def spec(client: KitchenClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/schema/openapi.json").json()
    return document


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """operation id -> (method, operation)."""
    return {
        operation["operationId"]: (method, operation)
        for item in spec["paths"].values()
        for method, operation in item.items()
    }


def test_the_bearer_scheme_is_declared_and_not_required_document_wide(
    spec: dict[str, Any],
) -> None:
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in spec  # a document-wide requirement would cover /health too


def test_the_public_probes_declare_no_security(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert set(found) >= PUBLIC
    for operation_id in PUBLIC:
        _, operation = found[operation_id]
        assert "security" not in operation, operation_id
        assert not {"401", "403"} & set(operation["responses"]), operation_id


def test_every_other_operation_needs_the_token_and_documents_its_401(
    spec: dict[str, Any],
) -> None:
    secured = {op: found for op, found in operations(spec).items() if op not in PUBLIC}
    writes = {op for op, (method, _) in secured.items() if method in WRITES}
    assert len(secured) >= 42  # every route of the API, not a sample
    assert len(writes) >= 24
    for operation_id, (_, operation) in secured.items():
        assert operation["security"] == [{"bearer": []}], operation_id
        unauthorized = operation["responses"]["401"]
        assert unauthorized["content"] == ERROR, operation_id
        assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True, operation_id


def test_a_403_wherever_a_role_can_be_refused_naming_who_may(spec: dict[str, Any]) -> None:
    found = operations(spec)
    for operation_id, (method, operation) in found.items():
        if method in WRITES:  # every write refuses some role (viewer, at least)
            assert operation["responses"]["403"]["content"] == ERROR, operation_id
        elif operation_id != "startTask":
            assert "403" not in operation["responses"], operation_id  # reads: every role
    refusal = {op: found[op][1]["responses"].get("403", {}).get("description") for op in found}
    assert refusal["confirmOrder"].startswith("Only manager and integration tokens may")
    assert refusal["addCounter"].startswith("Only manager tokens may call this")
    start = refusal["startTask"]
    assert start.startswith("Only manager and station tokens")
    assert "counters it names" in start
    assert "The caller may not act on this" in start  # the 403 the route documented before


def test_the_routes_own_error_answers_are_kept(client: KitchenClient, spec: dict[str, Any]) -> None:
    generated = client.app.openapi_schema.to_schema()  # Litestar's, before refining
    served = operations(spec)
    for operation_id, (_, operation) in operations(generated).items():
        kept = set(served[operation_id][1]["responses"])
        assert set(operation["responses"]) <= kept, operation_id
        for status in {s for s in operation["responses"] if int(s) >= 400} - {"401", "403"}:
            assert served[operation_id][1]["responses"][status] == operation["responses"][status]


def test_with_auth_off_no_operation_asks_for_a_token(
    settings: Settings, embedded: EmbeddedKitchen
) -> None:
    app = create_app(replace(settings, auth=False), embedded.kitchen, embedded.bus)
    with TestClient(app, base_url="http://127.0.0.1") as anonymous:
        document = anonymous.get("/schema/openapi.json").json()
        assert anonymous.get("/api/v1/orders").status_code == 200  # indeed no token needed
    for operation_id, (_, operation) in operations(document).items():
        assert "security" not in operation, operation_id
        assert "401" not in operation["responses"], operation_id
