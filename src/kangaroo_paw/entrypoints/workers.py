"""Several API worker processes for ``kangaroo-paw serve`` in services mode (``KP_WORKERS``).

Why processes: a confirm is mostly Python, so one process uses one core; the services-mode
API keeps no state of its own (PostgreSQL is the one store, each worker follows its log for
the event stream), so N copies of the one-process ``serve`` scale across cores. The
supervisor binds the listening socket once (a port in use is one clear error, before any
worker starts) and hands it to each worker, a fresh interpreter that runs the ordinary
``serve`` with its own runtime, readiness and graceful shutdown. SIGTERM/SIGINT to the
supervisor is passed to every worker; it exits 0 when all of them did. A worker that exits on
its own stops the others: the supervisor does not restart anything (the orchestrator that
started it does), so a broken worker is never hidden behind its healthy siblings.

The workers share a fresh metrics directory (``PROMETHEUS_MULTIPROC_DIR``) for as long as the
supervisor runs, so any worker's ``/metrics`` sums the counters and histograms of all of them.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from types import FrameType

from kangaroo_paw.adapters.http.server import GRACEFUL_SHUTDOWN_SECS
from kangaroo_paw.adapters.prometheus.registry import SHARED_DIR_ENV
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

BACKLOG = 2048
POLL_SECS = 0.2
LISTEN_FD_OPTION = "--listen-fd"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (IPv4 or IPv6, as the host resolves), that the
    worker processes inherit."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def supervise(settings: Settings) -> int:
    """Run ``settings.workers`` API workers on one socket until a signal; the exit status."""
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        print(
            f"kangaroo-paw serve: cannot listen on {settings.host}:{settings.port}: {exc}",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    port = sock.getsockname()[1]
    shared = tempfile.mkdtemp(prefix="kangaroo-paw-metrics-")  # fresh: no stale counts
    env = {
        **os.environ,
        SHARED_DIR_ENV: shared,
        "KP_WORKERS": "1",
        "KP_HOST": settings.host,
        "KP_PORT": str(port),
        "KP_DATA_DIR": str(settings.data_dir),
    }
    command = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "serve"]
    command += [LISTEN_FD_OPTION, str(sock.fileno())]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(settings.workers):
            worker = subprocess.Popen(command, env=env, pass_fds=(sock.fileno(),))  # noqa: S603 - our own CLI
            workers.append(worker)
        log.info(
            "serving with %d worker processes (pids %s) on %s:%d",
            len(workers),
            ", ".join(str(w.pid) for w in workers),
            settings.host,
            port,
        )
        failed = _wait_for_stop(workers, stop)
        return _stop_all(workers) or failed
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        sock.close()
        shutil.rmtree(shared, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_for_stop(workers: list[subprocess.Popen[bytes]], stop: threading.Event) -> int:
    """Wait for a signal (0) or for a worker that exits on its own (its status, at least 1)."""
    while not stop.wait(POLL_SECS):
        for worker in workers:
            code = worker.poll()
            if code is not None and not stop.is_set():  # not a signal to the process group
                log.error("API worker %d exited with %d; stopping the others", worker.pid, code)
                return code or 1
    return 0


def _stop_all(workers: list[subprocess.Popen[bytes]]) -> int:
    """SIGTERM to every running worker, then wait for each; the first non-zero status or 0."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    status = 0
    for worker in workers:
        try:
            code = worker.wait(GRACEFUL_SHUTDOWN_SECS + 10)
        except subprocess.TimeoutExpired:
            log.error("API worker %d did not stop in time; killed", worker.pid)
            worker.kill()
            code = worker.wait()
        status = status or code
    return status
