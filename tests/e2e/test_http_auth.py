"""Who may call what: every role against every route of the real app (allowed, 401 or 403,
as the OpenAPI document says), tokens that stop working at once (revoked, expired), and a
station held to its counters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from conftest import KitchenClient, assert_error
from kangaroo_paw.adapters.http.auth import ALLOWED, PUBLIC
from kangaroo_paw.domain.token import Role

# A body each write accepts (or rejects for a kitchen reason, never for an auth one).
BODIES: dict[str, Any] = {
    "confirmOrder": {"items": {"dip_cup": 1}},
    "quoteOrder": {"items": {"dip_cup": 1}},
    "rushOrder": {"rush": True},
    "voidOrderLine": {"item_key": "dip_cup"},
    "fireOrder": {},
    "addCounter": {"name": "pastry", "capacity": 1},
    "changeCounterCapacity": {"capacity": 5},
    "addMachine": {"name": "oven-9", "counter": "griller", "capacity": 1},
    "hireStaff": {"name": "Mia", "skills": ["griller"]},
    "updateStaff": {"max_parallel": 3},
    "defineRecipe": {
        "steps": [{"step_no": 1, "description": "plate", "counter": "adhoc"}],
        "dependencies": [],
    },
}
ROLE_OF_EXPECTED = {
    "confirmOrder": {"manager", "integration"},
    "quoteOrder": {"manager", "integration"},
    "rushOrder": {"manager", "integration"},
    "cancelOrder": {"manager", "integration"},
    "voidOrderLine": {"manager", "integration"},
    "fireOrder": {"manager", "integration"},
    "startTask": {"manager", "station"},
    "completeTask": {"manager", "station"},
    "recallTask": {"manager", "station"},
    "refireTask": {"manager", "station"},
}


def operations(client: KitchenClient) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(operation id, method, path template, its OpenAPI operation) of every route the app
    documents."""
    schema = client.get("/schema/openapi.json").json()
    return [
        (spec["operationId"], method.upper(), path, spec)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
    ]


def documented_roles(spec: dict[str, Any]) -> set[str] | None:
    """The roles an operation's documented 403 says may call it; ``None``: every role."""
    refused = spec["responses"].get("403", {}).get("description", "")
    named = re.match(r"Only (.+?) tokens may call this", refused)
    return None if named is None else set(named.group(1).split(" and "))


def fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def kitchen_ids(client: KitchenClient) -> dict[str, str]:
    order = client.confirm({"burger_combo": 1})
    client.run_once()
    griller = next(t for t in order["tasks"] if t["counter"] == "griller")
    staff = client.get("/api/v1/staff").json()["staff"][0]["staff_id"]
    return {
        "order_id": order["order_id"],
        "task_id": griller["task_id"],
        "staff_id": staff,
        "item_key": "dip_cup",
        "name": "griller",
    }


def token(client: KitchenClient, role: str, **extra: Any) -> dict[str, str]:
    counters = ["griller"] if role == "station" else []
    _, secret = client.embedded.kitchen.issue_token(f"t-{role}", role, counters, **extra)
    return {"Authorization": f"Bearer {secret}"}


def test_the_table_lists_exactly_the_writes_open_beyond_the_manager() -> None:
    assert {op: {str(r) for r in roles} for op, roles in ALLOWED.items()} == ROLE_OF_EXPECTED


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_against_every_route(client: KitchenClient, role: str) -> None:
    ids = kitchen_ids(client)
    headers = token(client, role)
    checked = 0
    for operation, method, template, spec in operations(client):
        if operation == "streamEvents" or operation in PUBLIC:
            continue  # the endless stream: below; the probes: public
        machine = "/machines/" in template
        path = fill(template, {**ids, "name": "grill-1"} if machine else ids)
        response = client.request(method, path, json=BODIES.get(operation), headers=headers)
        reads = method == "GET"
        allowed = role == "manager" or reads or role in ROLE_OF_EXPECTED.get(operation, set())
        documented = documented_roles(spec)
        assert allowed == (documented is None or role in documented), (operation, documented)
        if allowed:
            assert response.status_code not in (401, 403), (role, operation, response.text)
        else:
            assert_error(response, 403, "forbidden")
        checked += 1
    assert checked >= 30


def test_without_a_valid_token_every_route_but_the_probes_is_401(client: KitchenClient) -> None:
    ids = kitchen_ids(client)
    for headers in ({}, {"Authorization": "Bearer kp_not-a-token-of-this-kitchen"}):
        for operation, method, template, spec in operations(client):
            response = client.request(
                method,
                fill(template, ids),
                json=BODIES.get(operation),
                headers={"Authorization": "", **headers},
            )
            if operation in PUBLIC:
                assert response.status_code == 200, operation
                assert "security" not in spec, operation  # the document agrees: public
            else:
                body = assert_error(response, 401, "unauthorized")
                assert body["message"]
                # ... and says so: the bearer scheme, this 401 and its challenge header.
                assert spec["security"] == [{"bearer": []}], operation
                challenge = spec["responses"]["401"]["headers"]["WWW-Authenticate"]
                assert f"`{response.headers['www-authenticate']}`" in challenge["description"]


def test_a_revoked_token_is_refused_on_the_next_request(client: KitchenClient) -> None:
    headers = token(client, "integration")
    assert client.get("/api/v1/orders", headers=headers).status_code == 200
    client.embedded.kitchen.revoke_token("t-integration")
    assert_error(client.get("/api/v1/orders", headers=headers), 401, "unauthorized")


def test_an_expired_token_is_refused(client: KitchenClient) -> None:
    now = client.embedded.kitchen.clock.now()
    headers = token(client, "viewer", expires_at=now + timedelta(minutes=5))
    assert client.get("/api/v1/queue", headers=headers).status_code == 200
    client.advance(301)
    assert_error(client.get("/api/v1/queue", headers=headers), 401, "unauthorized")


def test_a_station_works_only_its_counters(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1})
    client.run_once()
    tasks = [client.task(t["task_id"]) for t in order["tasks"]]
    assigned = [t for t in tasks if t["status"] == "ASSIGNED"]
    griller = next(t for t in assigned if t["counter"] == "griller")
    other = next(t for t in assigned if t["counter"] != "griller")
    headers = token(client, "station")
    refused = client.post(f"/api/v1/tasks/{other['task_id']}/start", headers=headers)
    assert_error(refused, 403, "forbidden")
    assert client.task(other["task_id"])["status"] == "ASSIGNED"  # nothing written
    started = client.post(f"/api/v1/tasks/{griller['task_id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "STARTED"


def test_the_stream_needs_a_token(client: KitchenClient) -> None:
    response = client.get("/api/v1/stream", headers={"Authorization": ""})
    assert_error(response, 401, "unauthorized")


def test_token_secrets_never_reach_the_event_log(client: KitchenClient) -> None:
    _, secret = client.embedded.kitchen.issue_token("wall-screen", "viewer")
    events = client.get("/api/v1/events", params={"after": 0, "limit": 1000}).json()["events"]
    issued = [e for e in events if e["type"] == "TOKEN_ISSUED"]
    assert {e["data"]["name"] for e in issued} >= {"wall-screen"}
    assert all("digest" not in e["data"] for e in issued)
    assert secret not in client.get("/api/v1/events", params={"after": 0, "limit": 1000}).text


def test_every_event_a_request_records_names_its_actor(client: KitchenClient) -> None:
    head = client.log_head()
    pos = token(client, "integration")
    order = client.post(
        "/api/v1/orders/confirm", json={"items": {"burger_combo": 1}}, headers=pos
    ).json()
    client.run_once()  # the manager's own pass
    griller = next(t for t in order["tasks"] if t["counter"] == "griller")
    client.post(f"/api/v1/tasks/{griller['task_id']}/start", headers=token(client, "station"))
    events = client.get("/api/v1/events", params={"after": head, "limit": 1000}).json()["events"]
    actor = {e["type"]: e["data"].get("actor") for e in reversed(events)}  # first of each
    assert actor["ORDER_CONFIRMED"] == {"name": "t-integration", "role": "integration"}
    assert actor["TASK_CREATED"] == {"name": "t-integration", "role": "integration"}
    assert actor["TASK_ASSIGNED"] == {"name": "e2e-manager", "role": "manager"}
    assert actor["TASK_STARTED"] == {"name": "t-station", "role": "station"}
    started = next(e for e in events if e["type"] == "TASK_STARTED")
    assert started["data"]["staff_id"]  # and the cook who started it
    issued = [e for e in events if e["type"] == "TOKEN_ISSUED"]
    assert {
        e["data"]["actor"] for e in issued if "actor" in e["data"]
    } == set()  # issued in-process


def test_what_the_kitchen_does_by_itself_has_no_actor(client: KitchenClient) -> None:
    head = client.log_head()
    client.embedded.kitchen.allocate()  # as the in-process scheduler does
    client.confirm({"dip_cup": 1})
    client.embedded.kitchen.allocate()
    client.embedded.runtime.drain()
    events = client.embedded.kitchen.event_log(head, 1000)
    by_itself = [e for e in events if e.type == "TASK_ASSIGNED"]
    assert by_itself
    assert all("actor" not in e.data for e in by_itself)
