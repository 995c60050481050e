"""``kangaroo-paw serve`` as a real process: JSON request logs, graceful SIGTERM, restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """One ``kangaroo-paw serve`` process."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "KP_LOG_FORMAT": "json", **env}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kangaroo_paw.entrypoints.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not become ready")

    def stop(self, timeout: float = 15) -> tuple[int, list[dict[str, Any]]]:
        self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=timeout)
        logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
        return self.proc.returncode, logs


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def served(data_dir: Path) -> Iterator[Served]:
    process = Served(data_dir)
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.communicate()


def _wait(predicate: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_serve_logs_stops_gracefully_and_keeps_data(served: Served, data_dir: Path) -> None:
    served.wait_ready()
    url = served.url
    # The first start of an empty store wrote a manager token, readable by its owner only.
    token_file = data_dir / "manager.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    auth = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
    assert httpx.get(f"{url}/api/v1/orders").status_code == 401
    confirm = {"external_order_id": "survivor", "items": {"burger_combo": 1}}
    order = httpx.post(f"{url}/api/v1/orders/confirm", json=confirm, headers=auth).json()
    patty = next(t["task_id"] for t in order["tasks"] if t["step_no"] == 1)

    def assigned() -> bool:
        task = httpx.get(f"{url}/api/v1/tasks/{patty}", headers=auth).json()
        return bool(task["status"] == "ASSIGNED")

    _wait(assigned)  # the in-process scheduler allocates on its own
    started = httpx.post(f"{url}/api/v1/tasks/{patty}/start", headers=auth)
    assert started.json()["status"] == "STARTED"

    lines: list[str] = []

    def listen() -> None:
        try:
            with httpx.stream("GET", f"{url}/api/v1/stream", timeout=30, headers=auth) as response:
                lines.extend(response.iter_lines())
        except httpx.HTTPError:
            lines.append("<error>")

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    _wait(lambda: lines)  # the stream is open
    began = time.monotonic()
    code, logs = served.stop()
    assert code == 0
    assert time.monotonic() - began < 10  # an open event stream does not hold shutdown up
    listener.join(timeout=5)
    assert "<error>" not in lines
    access = [entry for entry in logs if entry["logger"] == "kangaroo_paw.http.access"]
    confirm_log = next(e for e in access if e["path"] == "/api/v1/orders/confirm")
    assert confirm_log["method"] == "POST"
    assert confirm_log["status"] == 201
    assert confirm_log["duration_ms"] >= 0
    assert any(e["message"] == "kitchen closed" for e in logs)

    again = Served(data_dir)
    try:
        again.wait_ready()
        back = httpx.get(f"{again.url}/api/v1/orders/{order['order_id']}", headers=auth)
        assert back.status_code == 200
        assert back.json()["external_order_id"] == "survivor"
        assert (
            httpx.get(f"{again.url}/api/v1/tasks/{patty}", headers=auth).json()["status"]
            == "STARTED"
        )
        replay = httpx.post(f"{again.url}/api/v1/orders/confirm", json=confirm, headers=auth)
        assert replay.status_code == 200
        code, logs = again.stop()
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
    assert code == 0
    assert not any("kp_" in e["message"] for e in logs)  # the secret is never logged
    rearmed = [e["message"] for e in logs if "re-armed" in e["message"]]
    assert rearmed
    assert not rearmed[0].startswith("embedded runtime started: 0 ")


def test_serve_rejects_a_bad_port(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kangaroo_paw.entrypoints.cli",
            "serve",
            "--port",
            "70000",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "KP_PORT" in result.stderr
