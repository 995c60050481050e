"""One log line per request and its request id (the outermost ASGI middleware, so 404s, 405s
and the browser guards' refusals are logged and carry an id too)."""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote_plus

from kangaroo_paw.adapters.http import request_id
from kangaroo_paw.adapters.http.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
    send_error,
)

REDACTED = "REDACTED"

log = logging.getLogger("kangaroo_paw.http.access")


class AccessLog:
    """Binds the request id (``X-Request-ID``: the caller's when plain, else a new one) while
    the request is handled, returns it, and logs method, path, status, duration and client
    when the response finishes. Credentials never reach the line: headers are not logged
    and ``token``-like query parameters are redacted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id.choose(header(scope, request_id.HEADER.encode()))
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [*message.get("headers", []), (request_id.HEADER.encode(), rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with request_id.bound(rid):
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception:
                # Escaped every handler (a bug): answer the API's 500 with the id here, as the
                # server's own 500 would carry neither; the server still logs the traceback.
                if not status:
                    await send_error(send_wrapper, 500, "internal_error", "internal error")
                raise
            finally:
                self._log(scope, status or 500, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _log(scope: Scope, status: int, duration_ms: float) -> None:
        client = scope.get("client")
        path = scope.get("path", "")
        query = redact_query(scope.get("query_string", b"").decode("latin-1"))
        target = f"{path}?{query}" if query else path
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


def redact_query(query: str) -> str:
    """``query`` with the value of every parameter whose name mentions a token replaced."""
    pairs = []
    for pair in query.split("&"):
        name, sep, _ = pair.partition("=")
        secret = "token" in unquote_plus(name).lower()
        pairs.append(f"{name}{sep}{REDACTED}" if secret and sep else pair)
    return "&".join(pairs)
