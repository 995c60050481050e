"""The browser tests' server and pages: a real ``kangaroo-paw serve`` that can be killed and
started again on the same address, and screens opened already signed in."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-tests-manager-token-0123"  # a throwaway test server's token
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``kangaroo-paw serve`` on a fixed port and data dir; it can be killed and
    started again on the same address (the page's origin)."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KP_BOOTSTRAP_TOKEN": TOKEN,
            "KP_MAX_STREAMS_PER_CALLER": "0",
            "KP_RATE_LIMIT_READS_PER_SEC": "0",
            **env,
        }
        self.proc: subprocess.Popen[str] | None = None
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )

    def start(self) -> None:
        command = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "serve"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        log = (self.data_dir.parent / "serve.log").open("a")
        self.proc = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "serve exited; see serve.log"
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not become ready")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, open streams just drop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.http.close()

    def confirm(self, external: str, items: dict[str, int], **extra: Any) -> Any:
        """Confirm an order; ``extra`` is the rest of the body (modifiers, hold, table…)."""
        body = {"external_order_id": external, "items": items, **extra}
        response = self.http.post("/api/v1/orders/confirm", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def task(self, task_id: str) -> Any:
        return self.http.get(f"/api/v1/tasks/{task_id}").json()

    def post(self, path: str, **kwargs: Any) -> Any:
        response = self.http.post(path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, task_id: str, status: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(task_id)
            if task["status"] == status or time.monotonic() > deadline:
                assert task["status"] == status, task
                return task
            time.sleep(0.05)


def open_screen(
    browser: Any, server: Server, path: str, width: int = 1280, height: int = 800
) -> Any:
    """A page of ``path`` already signed in (the token put in localStorage first)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(f"localStorage.setItem('kp.token', {TOKEN!r})")
    page = context.new_page()
    page.goto(server.url + path)
    page.locator("#status[data-state=live]").wait_for(timeout=10_000)
    return page
