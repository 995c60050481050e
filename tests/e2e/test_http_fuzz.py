"""Property-based API fuzzing: schemathesis generates requests from the app's own OpenAPI.

Positive (schema-conforming) and negative (schema-breaking) requests run against the whole
embedded wiring with its runtime threads started (allocation and timers live). Every
response must be a non-5xx whose status, content type and body conform to the document,
a schema-breaking request must be rejected, and a schema-conforming one must be accepted:
never a 400, and a 422 only for the state-dependent rules below (the schema cannot know the
menu or the counters, nor say "no dependency cycles"); 404 and 409 depend on state anyway.

The manager's token is given to schemathesis as the document's ``bearer`` scheme, so
schemathesis sends it on every case of a secured operation except those that negate it (the
header missing or malformed): those go out exactly as generated and must get the documented
401, never a filled-in token that would make a negative case valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from conftest import FUZZ_CASES
from kangaroo_paw.adapters.http import bodies
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.composition import build_embedded
from kangaroo_paw.settings import Settings

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (dev extra)")
openapi = pytest.importorskip("schemathesis.specs.openapi.checks")

MAX_EXAMPLES = 30
CASES: dict[str, int] = {
    "schemathesis": 0,
    "schemathesis-positive": 0,
    "schemathesis-unauthenticated": 0,
    "schemathesis-resent-with-token": 0,
    "random-json": 0,
}


def state_dependent(operation_id: str, error: dict[str, Any]) -> bool:
    """Whether a 422 answered to a schema-valid request is one docs/http.md lists as depending
    on the kitchen's state or on a relation between fields that JSON Schema cannot state."""
    code, details, message = error["code"], error["details"], error["message"]
    if operation_id in {"confirmOrder", "quoteOrder"}:
        # the menu; an order's task count is its recipes' steps times its quantities
        menu = code in {"unknown_item", "item_unavailable"}
        # ticket lines (modifiers, allergens) must name items of the order's own ``items``
        stray = code == "invalid_ticket" and "items" in details
        # ``courses`` may name only items of the order, ``hold`` only courses it has
        plan = code == "invalid_order" and ("items" in details or "courses" in details)
        return menu or stray or plan or (code == "invalid_quantity" and "tasks" in details)
    if operation_id == "defineRecipe":
        # counters and machines that must exist; step numbers used twice; dependencies on
        # missing steps, on themselves, or in a cycle; the item key in the path
        return bool(code == "invalid_recipe")
    if operation_id == "addMachine":
        return code == "invalid_resource" and "counter" in details  # an existing counter
    if operation_id in {"hireStaff", "updateStaff"}:
        # skills are existing counters; a shift's two ends go together, end after start
        shift = "shift" in message or "datetime" in message
        return code == "invalid_resource" and ("unknown" in details or shift)
    return False


@schemathesis.check
def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """The positive-data check: what the document declares valid is not refused as invalid."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if openapi.is_unexpected_http_status_case(case):
        return None  # a request-shape probe (wrong method, ...), not positive data
    CASES["schemathesis-positive"] += 1
    status = response.status_code
    operation_id = case.operation.definition.raw.get("operationId", "")
    if status == 400 or (
        status == 422 and not state_dependent(operation_id, response.json()["error"])
    ):
        raise AssertionError(
            f"{operation_id}: a request valid against the schema got {status}: {response.text}"
        )
    return None


@schemathesis.check
def only_requests_without_the_token_are_unauthorized(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """On a secured operation, only a case that broke its headers may go out without the
    manager's token, it is answered 401, and a request that carried the token never is: were
    the token not applied, every case would be a documented 401 and the run would prove
    nothing."""
    if not case.operation.definition.raw.get("security"):
        return None  # a public operation: no token expected, none checked
    if case.meta is not None and openapi.is_unexpected_http_status_case(case):
        return None  # a wrong method is refused by routing, before any token is read
    sent = response.request.headers.get("Authorization")
    status = response.status_code
    if sent != AUTH["Authorization"]:
        if case.meta is None or not case.meta.is_negative_at(ParameterLocation.HEADER):
            raise AssertionError(f"a case with valid headers went out without the token: {sent!r}")
        CASES["schemathesis-unauthenticated"] += 1
        if status != 401:
            raise AssertionError(f"sent without a valid token ({sent!r}) but answered {status}")
    elif status == 401:
        raise AssertionError(f"sent with the manager's token but answered 401: {response.text}")
    return None


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi.status_code_conformance,
    openapi.content_type_conformance,
    openapi.response_schema_conformance,
    openapi.negative_data_rejection,
    schema_valid_requests_are_accepted,
    only_requests_without_the_token_are_unauthorized,
]
AUTHENTICATED_CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi.status_code_conformance,
    openapi.content_type_conformance,
    openapi.response_schema_conformance,
]


# Built (not started) at import, as schemathesis loads the document while collecting; the
# runtime threads start only when the fuzz tests run.
# The Hosts schemathesis and TestClient send are not local names: allow them. The fuzzer is
# one fast caller: rate limits off, so its requests reach the handlers.
_SETTINGS = Settings.from_env(
    {"KP_ALLOWED_HOSTS": "testserver,testserver.local"},
    data_dir=Path("unused-in-memory"),
    store="memory",
    rate_limit_writes_per_sec=0,
    rate_limit_reads_per_sec=0,
)
_EMBEDDED = build_embedded(_SETTINGS, seed=True)
_APP = create_app(_SETTINGS, _EMBEDDED.kitchen, _EMBEDDED.bus)
_, _SECRET = _EMBEDDED.kitchen.issue_token("fuzz-manager", "manager")
AUTH = {"Authorization": f"Bearer {_SECRET}"}  # the raw-JSON client, as the manager
# The document's bearer scheme, as the manager: schemathesis applies it to every case of a
# secured operation except the cases that remove or break the Authorization header.
_CONFIG = SchemathesisConfig.from_dict({"auth": {"openapi": {"bearer": {"bearer": _SECRET}}}})
# The endless SSE stream is covered by test_http_events, not by the fuzzer.
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _APP, config=_CONFIG).exclude(
    operation_id="streamEvents"
)


@pytest.fixture(scope="module", autouse=True)
def _runtime() -> Iterator[None]:
    _EMBEDDED.start()
    yield
    _EMBEDDED.close()


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    request.config.stash[FUZZ_CASES] = dict(CASES)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    CASES["schemathesis"] += 1
    response = case.call_and_validate(checks=CHECKS)
    if response.request.headers.get("Authorization") != AUTH["Authorization"] and (
        _negative_beyond_headers(case)
    ):
        # The case's other mutations, now stopped by the 401, still reach the handler: the
        # same request with the token must not break the server or the document either. Not
        # checked for rejection: the missing token may have been the case's only real flaw.
        CASES["schemathesis-resent-with-token"] += 1
        case.validate_response(case.call(headers=AUTH), checks=AUTHENTICATED_CHECKS)


def _negative_beyond_headers(case: Any) -> bool:
    meta = case.meta
    return meta is not None and any(
        info.mode.is_negative
        for location, info in meta.components.items()
        if location is not ParameterLocation.HEADER
    )


# -- random JSON bodies (hypothesis over the request Structs' field names) ------------------

BODY_ROUTES: list[tuple[str, str, type[msgspec.Struct]]] = [
    ("POST", "/api/v1/orders/confirm", bodies.ConfirmOrderRequest),
    ("POST", "/api/v1/tasks/{task}/start", bodies.StartTaskRequest),
    ("POST", "/api/v1/counters", bodies.CounterCreate),
    ("PATCH", "/api/v1/counters/fryer", bodies.CounterPatch),
    ("POST", "/api/v1/machines", bodies.MachineCreate),
    ("POST", "/api/v1/staff", bodies.StaffCreate),
    ("PATCH", "/api/v1/staff/{staff}", bodies.StaffPatch),
    ("PUT", "/api/v1/recipes/fuzzed", bodies.RecipePut),
]
NESTED = (bodies.RecipeStepIn, bodies.DependencyIn)
KEYS = sorted(
    {f for _, _, struct in BODY_ROUTES for f in struct.__struct_fields__}
    | {f for struct in NESTED for f in struct.__struct_fields__}
    | {"burger_combo", "wrap", "adhoc", "griller", "grill-1"}
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=60)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "00:00", "9999-12-31T23:59:59-14:00", "adhoc", "grill-1", "wrap"])
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=16,
)
OBJECTS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6)


@pytest.fixture(scope="module")
def raw_client() -> Iterator[Any]:
    with TestClient(_APP) as test_client:
        test_client.headers.update(AUTH)
        staff = test_client.get("/api/v1/staff").json()["staff"][0]["staff_id"]
        order = test_client.post("/api/v1/orders/confirm", json={"items": {"dip_cup": 1}})
        task = order.json()["tasks"][0]["task_id"]
        yield test_client, {"staff": staff, "task": task}


@given(route=st.sampled_from(BODY_ROUTES), body=OBJECTS | JSON)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_json_bodies_never_cause_a_5xx(
    raw_client: Any, route: tuple[str, str, type[msgspec.Struct]], body: Any
) -> None:
    test_client, ids = raw_client
    method, path, _ = route
    CASES["random-json"] += 1
    response = test_client.request(method, path.format(**ids), json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"}
