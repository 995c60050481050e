"""Abuse limits over HTTP: per-caller rate limits, the cap on open streams, request deadlines.

Rate limits run through the TestClient; streams and slow connections need a real uvicorn
server on loopback, started with the same configuration ``kangaroo-paw serve`` uses
(``server_config``) and short deadlines from the settings.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import KitchenClient, assert_error, serving
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.adapters.http.server import server_config
from kangaroo_paw.composition import EmbeddedKitchen
from kangaroo_paw.settings import Settings

TIGHT_WRITES = {"rate_limit_writes_per_sec": 0.5, "rate_limit_writes_burst": 2}
TIGHT_READS = {"rate_limit_reads_per_sec": 0.5, "rate_limit_reads_burst": 3}
SHORT_DEADLINES = {"header_timeout_secs": 0.5, "body_timeout_secs": 0.5}


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings with this test's overrides (``indirect`` parametrisation)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return Settings.from_env({}, data_dir=tmp_path / "data", **overrides)


def limited(**overrides: Any) -> Any:
    return pytest.mark.parametrize("settings", [overrides], indirect=True, ids=["limited"])


def _retry_after(response: httpx.Response) -> int:
    value = response.headers["retry-after"]
    assert value.isdigit(), value  # whole seconds
    return int(value)


# -- rate limits -----------------------------------------------------------------------------


@limited(**TIGHT_WRITES)
def test_writes_over_budget_are_429_and_change_nothing(client: KitchenClient) -> None:
    client.confirm({"dip_cup": 1})
    client.confirm({"dip_cup": 1})
    head = client.log_head()
    refused = client.post("/api/v1/orders/confirm", json={"items": {"dip_cup": 1}})
    error = assert_error(refused, 429, "rate_limited")
    assert 1 <= _retry_after(refused) <= 2  # one token at 0.5/s
    assert error["details"] == {"limit": "writes", "per_sec": 0.5, "burst": 2}
    assert client.log_head() == head
    assert client.get("/api/v1/orders").status_code == 200  # reads have a budget of their own


@limited(**TIGHT_READS)
def test_reads_over_budget_are_429_but_health_is_exempt(client: KitchenClient) -> None:
    statuses = [client.get("/api/v1/staff").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _retry_after(client.get("/api/v1/staff")) >= 1
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.post("/api/v1/allocator/run-once").status_code == 200


@limited(**TIGHT_READS)
def test_each_token_is_a_caller_of_its_own(client: KitchenClient) -> None:
    alice = {"Authorization": "Bearer alice"}
    for _ in range(3):
        client.get("/api/v1/staff", headers=alice)
    assert client.get("/api/v1/staff", headers=alice).status_code == 429
    bob = client.get("/api/v1/staff", headers={"Authorization": "Bearer bob"})
    assert bob.status_code != 429
    assert client.get("/api/v1/staff").status_code != 429  # no token: the client address


@limited(rate_limit_reads_per_sec=0, rate_limit_reads_burst=1)
def test_a_rate_of_zero_turns_the_limit_off(client: KitchenClient) -> None:
    assert {client.get("/api/v1/staff").status_code for _ in range(10)} == {200}


# -- a real server ---------------------------------------------------------------------------


@dataclass
class Server:
    host: str
    port: int
    stopping: threading.Event
    auth: dict[str, str]
    other_auth: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=5)


@pytest.fixture
def server(settings: Settings, embedded: EmbeddedKitchen) -> Iterator[Server]:
    stopping = threading.Event()
    app = create_app(
        settings, embedded.kitchen, embedded.bus, stopping=stopping, heartbeat_secs=0.2
    )
    _, mine = embedded.kitchen.issue_token("limits-manager", "manager")
    _, other = embedded.kitchen.issue_token("limits-viewer", "viewer")
    with serving(server_config(app, settings), stopping) as (host, port):
        yield Server(
            host,
            port,
            stopping,
            {"Authorization": f"Bearer {mine}"},
            {"Authorization": f"Bearer {other}"},
        )


def _closed_by_server(conn: socket.socket, timeout: float = 5) -> bool:
    """Whether the server closes ``conn`` (EOF) within ``timeout``; a response is read past."""
    conn.settimeout(timeout)
    try:
        while chunk := conn.recv(4096):
            assert b" 200 " not in chunk[:16], chunk
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


# -- open streams per caller -----------------------------------------------------------------


def _open_stream(server: Server, headers: dict[str, str] | None = None) -> Any:
    """A stream as the server's own manager token, or as ``headers`` say."""
    headers = headers if headers is not None else server.auth
    return httpx.stream("GET", f"{server.url}/api/v1/stream", headers=headers, timeout=5)


def _opened(response: httpx.Response) -> Iterator[str]:
    """The stream's lines, once its first line (the ``connected`` comment) has arrived. Keep
    them: dropping a half-read iterator makes httpx close the connection."""
    assert response.status_code == 200
    lines = response.iter_lines()
    assert next(lines).startswith(": connected")
    return lines


def _wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@limited(max_streams_per_caller=2)
def test_streams_are_capped_per_caller_and_freed_on_disconnect(server: Server) -> None:
    with _open_stream(server) as first, _open_stream(server) as second:
        held = [_opened(first), _opened(second)]
        with _open_stream(server) as third:
            third.read()
            error = assert_error(third, 429, "too_many_streams")
            assert error["details"] == {"max_streams": 2}
            assert _retry_after(third) >= 1
        with _open_stream(server, server.other_auth) as other:
            assert other.status_code == 200  # another token: another caller
        for lines in held:
            next(lines)  # still open: a closed stream would stop
    # Both clients went away: their slots come free as the server sees the disconnects.

    def can_open_two() -> bool:
        with _open_stream(server) as a, _open_stream(server) as b:
            return a.status_code == b.status_code == 200

    _wait_for(can_open_two)


@limited(max_streams_per_caller=1)
def test_a_stream_ended_by_shutdown_frees_its_slot(server: Server) -> None:
    with _open_stream(server) as held:
        lines = _opened(held)
        with _open_stream(server) as refused:
            assert refused.status_code == 429
        server.stopping.set()  # what SIGTERM does: open streams end
        list(lines)  # the stream ends
    with _open_stream(server) as again:
        assert again.status_code == 200  # (and ends at once: the server is stopping)


# -- request deadlines -----------------------------------------------------------------------


@limited(**SHORT_DEADLINES)
def test_connections_without_complete_headers_are_closed(server: Server) -> None:
    silent = [server.connect() for _ in range(3)]
    partial = [server.connect() for _ in range(10)]
    for conn in partial:
        conn.sendall(b"GET /api/v1/staff HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    served = httpx.get(f"{server.url}/api/v1/staff", timeout=5, headers=server.auth)
    assert served.status_code == 200
    for conn in silent + partial:
        with conn:
            assert _closed_by_server(conn)


@limited(**SHORT_DEADLINES)
def test_trickling_header_bytes_does_not_extend_the_deadline(server: Server) -> None:
    request = b"GET /api/v1/staff HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: a\r\n" * 20
    with server.connect() as conn:
        for n in range(len(request)):  # one byte every 0.1 s: ~25 s for the whole request
            readable, _, _ = select.select([conn], [], [], 0.1)
            if readable:
                assert conn.recv(4096) == b""
                break
            conn.sendall(request[n : n + 1])
        else:
            pytest.fail("the server waited for the whole trickled request")


@limited(**SHORT_DEADLINES)
def test_a_keep_alive_connection_gets_a_new_deadline_per_request(server: Server) -> None:
    with server.connect() as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200 ")
        conn.sendall(b"GET /health HTTP/1.1\r\nHo")
        assert _closed_by_server(conn)


@limited(**SHORT_DEADLINES)
def test_a_stalled_body_closes_the_connection_and_writes_nothing(
    server: Server, embedded: EmbeddedKitchen
) -> None:
    head = embedded.kitchen.head_position()
    with server.connect() as conn:
        conn.sendall(
            b"POST /api/v1/orders/confirm HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"items": '
        )
        assert _closed_by_server(conn)
    assert embedded.kitchen.head_position() == head


@limited(**SHORT_DEADLINES)
def test_a_request_sent_in_parts_within_the_deadline_is_served(server: Server) -> None:
    with server.connect() as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(0.1)
        conn.sendall(b"Host: 127.0.0.1\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200 ")


def test_the_openapi_document_declares_429_except_on_health(client: KitchenClient) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert "429" in paths["/api/v1/orders/confirm"]["post"]["responses"]
    assert "429" in paths["/api/v1/stream"]["get"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]
