"""``kangaroo-paw serve`` in services mode, as real processes: the API on PostgreSQL and the
Redis queue, with ``kangaroo-paw projector`` keeping the queue and the read models current.
The lifecycle confirm → allocate → start → complete runs over HTTP, and the SSE stream
carries the events (an in-process follower of the PostgreSQL log feeds it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kangaroo_paw.settings import Settings

TOKEN = "kp_services-serve-test-manager"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

CLI = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate
    from kangaroo_paw.adapters.redis.queue import connect

    tag = uuid.uuid4().hex[:10]
    settings = Settings.from_env(
        postgres_schema=f"kp_e2e_{tag}", redis_prefix=f"kp-e2e-{tag}:", port=free_port()
    )
    migrate(settings)
    env = dict(os.environ)
    env.update(
        KP_MODE="services",
        KP_BOOTSTRAP_TOKEN=TOKEN,
        KP_POSTGRES_SCHEMA=settings.postgres_schema,
        KP_REDIS_PREFIX=settings.redis_prefix,
        KP_PORT=str(settings.port),
        KP_RELAY_POLL_SECS="0.2",
        KP_POSTGRES_POOL_SIZE="2",
    )
    procs = []
    for name in ("projector", "serve"):
        log = (tmp_path / f"{name}.log").open("w")
        procs.append(
            (name, subprocess.Popen([*CLI, name], env=env, stdout=log, stderr=subprocess.STDOUT))
        )
    base = f"http://127.0.0.1:{settings.port}"
    try:
        wait_for(lambda: _up(base), 30, "the API", tmp_path)
        yield base, settings
        for name, proc in procs:
            proc.terminate()
            assert proc.wait(20) == 0, (tmp_path / f"{name}.log").read_text()
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
        drop_schema(settings)
        client = connect(settings.redis_url)
        keys = list(client.scan_iter(match=f"{settings.redis_prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition: Callable[[], Any], timeout: float, what: str, logs: Path | None = None):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = ""
            if logs is not None:
                detail = "".join(f"\n--- {p.name}\n{p.read_text()}" for p in logs.glob("*.log"))
            raise AssertionError(f"timed out waiting for {what}{detail}")
        time.sleep(0.1)


def read_stream(base: str, into: list[dict[str, Any]], stop: threading.Event) -> None:
    try:
        with httpx.stream("GET", f"{base}/api/v1/stream", timeout=30, headers=AUTH) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    into.append(json.loads(line[5:]))
                if stop.is_set():
                    return
    except httpx.HTTPError:
        return  # the server shut down (the test has asserted by then)


def test_lifecycle_over_http_in_services_mode(stack: tuple[str, Settings]) -> None:
    base, _ = stack
    api = httpx.Client(base_url=f"{base}/api/v1", timeout=10, headers=AUTH)
    ready = api.get(f"{base}/health/ready").json()
    assert {"event_store", "redis", "projections", "kafka", "temporal"} <= set(
        ready["components"]
    ), ready
    assert ready["status"] == "ok", ready

    seen: list[dict[str, Any]] = []
    stop = threading.Event()
    reader = threading.Thread(target=read_stream, args=(base, seen, stop), daemon=True)
    reader.start()
    time.sleep(0.5)  # the stream starts at the head of the log

    external = f"e2e-{uuid.uuid4().hex[:8]}"
    confirmed = api.post(
        "/orders/confirm", json={"items": {"dip_cup": 1}, "external_order_id": external}
    )
    assert confirmed.status_code == 201, confirmed.text
    order = confirmed.json()
    (task_id,) = order["ready_task_ids"]

    # The projector puts the ready task into the Redis queue; the allocator reads it there.
    def queued() -> bool:
        return any(t["task_id"] == task_id for t in api.get("/queue").json()["tasks"])

    wait_for(queued, 20, "the task in the queue")
    assigned = api.post("/allocator/run-once").json()["assigned"]
    assert [a["task_id"] for a in assigned] == [task_id]
    assert api.post(f"/tasks/{task_id}/start").status_code == 200
    assert api.post(f"/tasks/{task_id}/complete").status_code == 200
    assert api.get(f"/orders/{order['order_id']}").json()["status"] == "COMPLETED"

    # The list routes read the PostgreSQL read model the projector keeps.
    def listed() -> bool:
        orders = api.get("/orders", params={"status": "COMPLETED"}).json()["orders"]
        return any(o["order_id"] == order["order_id"] for o in orders)

    wait_for(listed, 20, "the order in the read model")
    wanted = {"ORDER_CONFIRMED", "TASK_READY", "TASK_ASSIGNED", "TASK_STARTED", "TASK_COMPLETED"}

    def streamed() -> bool:
        mine = {e["type"] for e in seen if e.get("order_id") == order["order_id"]}
        return wanted <= mine

    wait_for(streamed, 20, "the events on the SSE stream")
    ids = [e["notification_id"] for e in seen]
    assert ids == sorted(set(ids))
    stop.set()
