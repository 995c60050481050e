"""Browser attacks and log hygiene at the HTTP edge: JSON-only writes (415), cross-site writes
(403), DNS rebinding (400), CORS off unless configured, one unforgeable log line per request,
no credentials in logs, and a request id on the response and on every line of the request."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import pytest

from conftest import KitchenClient, assert_error
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.composition import EmbeddedKitchen
from kangaroo_paw.entrypoints.logs import log_handler
from kangaroo_paw.settings import Settings

ORDER = "/api/v1/orders/confirm"
BODY = json.dumps({"items": {"burger_combo": 1}})
RUN_ONCE = "/api/v1/allocator/run-once"
APP_ORIGIN = "https://app.example.com"

Build = Callable[..., KitchenClient]


@pytest.fixture
def build(settings: Settings, embedded: EmbeddedKitchen) -> Iterator[Build]:
    """Clients over apps with changed settings (``KP_CORS_ORIGINS`` and the like)."""
    made: list[str] = []
    with ExitStack() as stack:

        def make(checks: Mapping[str, Any] | None = None, **changes: Any) -> KitchenClient:
            app = create_app(
                replace(settings, **changes), embedded.kitchen, embedded.bus, checks=checks
            )
            client = stack.enter_context(KitchenClient(app, base_url="http://127.0.0.1"))
            client.embedded = embedded
            _, secret = embedded.kitchen.issue_token(f"guards-{len(made)}", "manager")
            made.append(secret)
            client.headers["Authorization"] = f"Bearer {secret}"
            return client

        yield make


@contextmanager
def logged(log_format: str = "text") -> Iterator[io.StringIO]:
    """What the process's own log handler (formatter and request-id filter) writes."""
    stream = io.StringIO()
    handler = log_handler(Settings(log_format=log_format), stream)
    handler.addFilter(lambda record: not record.name.startswith("httpx"))  # the test client's
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# -- JSON-only writes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        None,
    ],
)
def test_a_body_that_is_not_declared_json_is_a_415(
    client: KitchenClient, content_type: str | None
) -> None:
    head = client.log_head()
    headers = {} if content_type is None else {"content-type": content_type}
    response = client.post(ORDER, content=BODY, headers=headers)
    assert_error(response, 415, "unsupported_media_type")
    assert client.log_head() == head


def test_json_with_parameters_and_bodiless_writes_are_accepted(client: KitchenClient) -> None:
    json_utf8 = {"content-type": "Application/JSON; charset=utf-8"}
    assert client.post(ORDER, content=BODY, headers=json_utf8).status_code == 201
    assert client.post(RUN_ONCE).status_code == 200  # no body, no Content-Type
    assert_error(client.post(RUN_ONCE, headers={"content-type": "text/plain"}), 415)


# -- cross-site writes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:8080", "https://127.0.0.1"]
)
def test_a_write_from_a_foreign_origin_is_a_403(client: KitchenClient, origin: str) -> None:
    head = client.log_head()
    assert_error(
        client.post(ORDER, json={"items": {"burger_combo": 1}}, headers={"origin": origin}),
        403,
        "cross_origin",
    )
    assert_error(client.post(RUN_ONCE, headers={"origin": origin}), 403, "cross_origin")
    assert client.log_head() == head


def test_same_origin_and_allowed_origins_may_write_and_anyone_may_read(build: Build) -> None:
    client = build(cors_origins=APP_ORIGIN)
    same = client.post(
        ORDER, json={"items": {"burger_combo": 1}}, headers={"origin": "http://127.0.0.1"}
    )
    assert same.status_code == 201, same.text
    assert client.post(RUN_ONCE, headers={"origin": "http://127.0.0.1:80"}).status_code == 200
    assert client.post(RUN_ONCE, headers={"origin": APP_ORIGIN}).status_code == 200
    assert (
        client.get("/api/v1/orders", headers={"origin": "http://evil.example"}).status_code == 200
    )


# -- Host allow-list (DNS rebinding) -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/health/ready"),
        ("GET", "/api/v1/orders"),
        ("GET", "/api/v1/stream"),
        ("GET", "/api/v1/no-such-route"),
        ("GET", "/schema/openapi.json"),
        ("DELETE", "/api/v1/orders"),
        ("POST", ORDER),
    ],
)
def test_a_foreign_host_is_a_400_on_every_route(
    client: KitchenClient, method: str, path: str
) -> None:
    response = client.request(method, path, headers={"host": "evil.example"})
    assert_error(response, 400, "host_not_allowed")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8080", "LOCALHOST", "[::1]:8080"])
def test_local_hosts_are_served_by_default(client: KitchenClient, host: str) -> None:
    assert client.get("/health", headers={"host": host}).status_code == 200


def test_the_bound_host_and_kp_allowed_hosts_extend_the_list(build: Build) -> None:
    client = build(host="kitchen.lan", allowed_hosts="api.example.com, 10.0.0.7")
    for host in ("kitchen.lan:8080", "api.example.com", "10.0.0.7:9000"):
        assert client.get("/health", headers={"host": host}).status_code == 200, host
    assert_error(client.get("/health", headers={"host": "evil.example"}), 400)
    anywhere = build(host="0.0.0.0", allowed_hosts="*")
    assert anywhere.get("/health", headers={"host": "evil.example"}).status_code == 200


def test_binding_every_interface_allows_no_extra_host(build: Build) -> None:
    client = build(host="0.0.0.0")
    assert_error(client.get("/health", headers={"host": "0.0.0.0"}), 400, "host_not_allowed")


# -- CORS --------------------------------------------------------------------------------


def _preflight(client: KitchenClient, origin: str) -> Any:
    headers = {"origin": origin, "access-control-request-method": "POST"}
    return client.options(ORDER, headers=headers)


def test_cors_is_off_by_default(client: KitchenClient) -> None:
    for response in (
        client.get("/api/v1/orders", headers={"origin": APP_ORIGIN}),
        _preflight(client, APP_ORIGIN),
    ):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_cors_answers_the_configured_origins_only(build: Build) -> None:
    client = build(cors_origins=f"{APP_ORIGIN},https://pos.example.com")
    read = client.get("/api/v1/orders", headers={"origin": APP_ORIGIN})
    assert read.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-request-id" in read.headers["access-control-expose-headers"].lower()
    preflight = _preflight(client, APP_ORIGIN)
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["access-control-allow-methods"]
    foreign = client.get("/api/v1/orders", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


# -- request ids -------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client: KitchenClient) -> None:
    fresh = client.get("/health").headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", fresh)
    assert client.get("/health").headers["x-request-id"] != fresh
    echoed = client.get("/health", headers={"x-request-id": "lb-7.a_B"})
    assert echoed.headers["x-request-id"] == "lb-7.a_B"
    refused = client.get("/nope", headers={"host": "evil.example", "x-request-id": "abc"})
    assert refused.headers["x-request-id"] == "abc"


@pytest.mark.parametrize("incoming", ["a" * 65, "bad id", "x\u00e9", "x;y", ""])
def test_an_unusable_request_id_is_replaced(client: KitchenClient, incoming: str) -> None:
    response = client.get("/health", headers={"x-request-id": incoming.encode()})
    returned = response.headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", returned)


def test_every_log_line_of_a_request_carries_its_id(build: Build) -> None:
    def broken() -> Mapping[str, Any]:
        raise ConnectionError("down")

    client = build(checks={"cache": broken})
    with logged("json") as stream:
        response = client.get("/health/ready", headers={"x-request-id": "probe-1"})
        logging.getLogger("kangaroo_paw.test").info("between requests")
    assert response.status_code == 503
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    of_request = [line for line in lines if line["request_id"] == "probe-1"]
    loggers = {line["logger"] for line in of_request}
    # The readiness probe logs from a worker thread; the access line after the response.
    assert {"kangaroo_paw.adapters.http.health", "kangaroo_paw.http.access"} <= loggers
    outside = next(line for line in lines if line["message"] == "between requests")
    assert outside["request_id"] == "-"


# -- log lines ---------------------------------------------------------------------------


def test_a_path_cannot_forge_a_log_line(client: KitchenClient) -> None:
    forged = "/api/v1/orders/x%0a2026-11-29%2015:00:00,000%20INFO%20fake%0d"
    with logged("text") as stream:
        assert client.get(forged).status_code == 404
    lines = stream.getvalue().splitlines()
    access = [line for line in lines if "kangaroo_paw.http.access" in line]
    assert len(access) == 1
    assert "/api/v1/orders/x\\x0a2026-11-29 15:00:00,000 INFO fake\\x0d 404" in access[0]
    assert not [line for line in lines if line.startswith("2026-11-29 15:00:00")]
    assert "\r" not in stream.getvalue()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_credentials_never_reach_the_log(client: KitchenClient, log_format: str) -> None:
    secret = "s3cr3t-Value"
    with logged(log_format) as stream:
        client.get(
            f"/api/v1/orders?limit=5&token={secret}&Access_Token={secret}",
            headers={"authorization": f"Bearer {secret}"},
        )
        client.post(RUN_ONCE, headers={"authorization": f"Bearer {secret}", "origin": "null"})
    text = stream.getvalue()
    assert "kangaroo_paw.http.access" in text
    assert secret not in text
    assert "limit=5&token=REDACTED&Access_Token=REDACTED" in text
