"""Running the app under uvicorn with a graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Generator
from types import FrameType

import uvicorn

from kangaroo_paw.adapters.http.asgi import ASGIApp
from kangaroo_paw.adapters.http.deadlines import request_deadlines
from kangaroo_paw.settings import Settings

GRACEFUL_SHUTDOWN_SECS = 30


class GracefulServer(uvicorn.Server):
    """uvicorn's server; the first SIGTERM/SIGINT stops accepting connections, ends open event
    streams (``stopping``) and lets in-flight requests finish (up to a bound). Unlike uvicorn's
    default, the signal is not re-raised afterwards, so the caller can close the kitchen."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def server_config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """uvicorn serving ``app`` (``create_app`` logs each request) with the request
    deadlines (``KP_HEADER_TIMEOUT_SECS``, ``KP_BODY_TIMEOUT_SECS``)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=request_deadlines(settings.header_timeout_secs, settings.body_timeout_secs),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECS,
    )


def serve(
    app: ASGIApp,
    settings: Settings,
    stopping: threading.Event,
    listening: socket.socket | None = None,
) -> int:
    """Serve ``app`` on ``KP_HOST:KP_PORT`` (or on the ``listening`` socket a supervisor bound
    for all its workers) until a signal; the exit status."""
    server = GracefulServer(server_config(app, settings), stopping)
    try:
        server.run(sockets=None if listening is None else [listening])
    except SystemExit as exc:  # uvicorn exits when it cannot bind
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        stopping.set()
    return 0
