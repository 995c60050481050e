"""E2E wiring: the whole embedded kitchen behind the HTTP app, driven deterministically.

The runtime's threads are not started: the client drains the follower after every request
(so the ready queue, the read model and the event bus are current when the next request is
made) and time moves only when a test advances the manual clock and runs due timers.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar.testing import TestClient

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.adapters.http.server import GracefulServer
from kangaroo_paw.composition import EmbeddedKitchen, build_embedded
from kangaroo_paw.settings import Settings

# How many requests the fuzz runs generated, by kind (reported in the terminal summary).
FUZZ_CASES = pytest.StashKey[dict[str, int]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e carries the ``e2e`` marker."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    cases = config.stash.get(FUZZ_CASES, {})
    if cases:
        counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(cases.items()))
        terminalreporter.write_line(f"fuzzed requests without a 5xx: {counts}")


class KitchenClient(TestClient[Any]):
    """A TestClient over the embedded kitchen that drains the follower after each request."""

    embedded: EmbeddedKitchen
    clock: ManualClock

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(*args, **kwargs)
        self.embedded.runtime.drain()
        return response

    # -- helpers -------------------------------------------------------------------------

    def log_head(self) -> int:
        """The event log head: it must not move when a request fails."""
        return self.embedded.kitchen.head_position()

    def confirm(self, items: dict[str, int], external: str | None = None, **extra: Any) -> Any:
        body: dict[str, Any] = {"items": items, **extra}
        if external is not None:
            body["external_order_id"] = external
        response = self.post("/api/v1/orders/confirm", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def run_once(self) -> Any:
        response = self.post("/api/v1/allocator/run-once")
        assert response.status_code == 200, response.text
        return response.json()

    def task(self, task_id: str) -> Any:
        response = self.get(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def order(self, order_id: str) -> Any:
        response = self.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float) -> None:
        """Move time and fire whatever timers are due (auto-complete, stale requeue)."""
        self.clock.advance(seconds)
        self.embedded.scheduler.run_due()
        self.embedded.runtime.drain()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@contextmanager
def serving(config: uvicorn.Config, stopping: threading.Event) -> Iterator[tuple[str, int]]:
    """A real uvicorn server for ``config`` on a free loopback port, in a thread; yields its
    (host, port) once it accepts connections, and stops it as SIGTERM would."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = GracefulServer(config, stopping)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        host, port = sock.getsockname()
        yield host, port
    finally:
        stopping.set()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def persistence() -> str:
    return "sqlite"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data")


@pytest.fixture
def embedded(settings: Settings, clock: ManualClock, persistence: str) -> Iterator[EmbeddedKitchen]:
    store = "memory" if persistence == "popo" else persistence
    kitchen = build_embedded(replace(settings, store=store), clock=clock, seed=True)
    kitchen.runtime.recover()
    yield kitchen
    kitchen.close()


@pytest.fixture
def client(
    settings: Settings, embedded: EmbeddedKitchen, clock: ManualClock
) -> Iterator[KitchenClient]:
    app = create_app(settings, embedded.kitchen, embedded.bus)
    _, secret = embedded.kitchen.issue_token("e2e-manager", "manager")
    embedded.runtime.drain()
    # A Host the default KP_ALLOWED_HOSTS serves (TestClient's own, testserver.local, is not).
    with KitchenClient(app, base_url="http://127.0.0.1") as test_client:
        test_client.headers["Authorization"] = f"Bearer {secret}"
        test_client.embedded = embedded
        test_client.clock = clock
        yield test_client
