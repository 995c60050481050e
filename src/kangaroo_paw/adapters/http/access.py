"""One log line per request (an outer ASGI middleware, so 404s and 405s are logged too)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # loose on purpose: any ASGI app (Litestar's is stricter)

log = logging.getLogger("kangaroo_paw.http.access")


class AccessLog:
    """Logs method, path, status, duration and client when a response finishes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._log(scope, status or 500, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _log(scope: Scope, status: int, duration_ms: float) -> None:
        client = scope.get("client")
        path = scope.get("path", "")
        query = scope.get("query_string", b"")
        target = f"{path}?{query.decode('latin-1')}" if query else path
        log.info(
            "%s %s %d %.1fms",
            scope.get("method", "-"),
            target,
            status,
            duration_ms,
            extra={
                "method": scope.get("method"),
                "path": target,
                "status": status,
                "duration_ms": round(duration_ms, 2),
                "client": f"{client[0]}:{client[1]}" if client else None,
            },
        )
