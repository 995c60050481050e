"""``kangaroo-paw serve`` with ``KP_WORKERS=2`` in services mode, as real processes: two
worker processes share the port and PostgreSQL, both answer, orders confirm through them,
``/metrics`` counts both workers' work, and one SIGTERM to the supervisor stops every worker
cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from kangaroo_paw.settings import Settings

TOKEN = "kp_services-workers-test-manager"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLI = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli"]
CONFIRMED_SERIES = "kangaroo_paw_orders_confirmed_total"


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_two_workers_share_the_port_and_stop_on_one_sigterm(tmp_path: Path) -> None:
    from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate

    tag = uuid.uuid4().hex[:10]
    settings = Settings.from_env(
        postgres_schema=f"kp_workers_{tag}", redis_prefix=f"kp-workers-{tag}:", port=_port()
    )
    migrate(settings)
    env = {
        **os.environ,
        "KP_MODE": "services",
        "KP_WORKERS": "2",
        "KP_BOOTSTRAP_TOKEN": TOKEN,
        "KP_SEED_DEMO": "true",
        "KP_POSTGRES_SCHEMA": settings.postgres_schema,
        "KP_REDIS_PREFIX": settings.redis_prefix,
        "KP_PORT": str(settings.port),
        "KP_POSTGRES_POOL_SIZE": "2",
    }
    base = f"http://127.0.0.1:{settings.port}"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*CLI, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2:  # a new connection each time: either worker may accept it
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"workers seen: {pids}\n{log.read_text()}"
            try:
                response = httpx.get(f"{base}/health", timeout=2)
                pids.add(response.json()["pid"])
            except httpx.TransportError:
                time.sleep(0.1)
        assert proc.pid not in pids  # the supervisor binds the port; workers answer

        # Both workers write to the one store: an order confirmed through one is read
        # through the other.
        orders = []
        for n in range(10):
            body = {"items": {"dip_cup": 1}, "external_order_id": f"w-{tag}-{n}"}
            confirmed = httpx.post(f"{base}/api/v1/orders/confirm", json=body, headers=AUTH)
            assert confirmed.status_code == 201, confirmed.text
            orders.append(confirmed.json()["order_id"])
        for order_id in orders:
            got = httpx.get(f"{base}/api/v1/orders/{order_id}", headers=AUTH)
            assert got.status_code == 200, got.text
        # Whichever worker answers a scrape counts the confirms of both (a shared metrics
        # directory); each scrape is a new connection, so either worker may take it.
        for _ in range(6):
            page = httpx.get(f"{base}/metrics", timeout=5)
            assert page.status_code == 200, page.text
            confirmed = [
                line for line in page.text.splitlines() if line.startswith(CONFIRMED_SERIES)
            ]
            assert confirmed == [f"{CONFIRMED_SERIES} 10.0"], confirmed
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0, log.read_text()
        assert not any(_alive(pid) for pid in pids), log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        drop_schema(settings)
        _drop_keys(settings)


def _drop_keys(settings: Settings) -> None:
    from kangaroo_paw.adapters.redis.queue import connect

    client = connect(settings.redis_url)
    keys = list(client.scan_iter(match=f"{settings.redis_prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_the_embedded_mode_refuses_more_than_one_worker(tmp_path: Path) -> None:
    env = {**os.environ, "KP_MODE": "embedded", "KP_WORKERS": "2"}
    done = subprocess.run(
        [*CLI, "serve", "--data-dir", str(tmp_path / "var"), "--port", str(_port())],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "embedded mode runs ONE process" in done.stderr
    assert not (tmp_path / "var").exists()  # refused before opening the store


def test_workers_must_be_positive() -> None:
    from kangaroo_paw.settings import SettingsError

    with pytest.raises(SettingsError, match="KP_WORKERS must be > 0"):
        Settings.from_env({"KP_WORKERS": "0"})
