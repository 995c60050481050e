"""The bits of raw ASGI the outer middlewares (access log, browser guards) share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from kangaroo_paw.adapters.http.schemas import Error, ErrorDetail

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # loose on purpose: any ASGI app (Litestar's is stricter)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), decoded as HTTP does (latin-1)."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    """Answer with the API's error body, for refusals made before Litestar routes."""
    body = msgspec.json.encode(Error(error=ErrorDetail(code=code, message=message, details={})))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
