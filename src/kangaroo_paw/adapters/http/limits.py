"""Per-caller abuse limits: request rates and open event streams.

A caller is whoever sends the request: a SHA-256 of the raw ``Authorization`` header when
there is one (a token is counted, never kept in clear), else the client address. Each caller
has a token bucket for writes and one for reads, and a number of event streams it may hold
open. A request over a limit is a 429 with ``Retry-After``, answered before its handler runs,
so nothing is read or written for it. The health probes are exempt: an orchestrator polling
them is never throttled.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.enums import MediaType, ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from kangaroo_paw.adapters.http.schemas import Error, ErrorDetail
from kangaroo_paw.settings import Settings

EVENT_STREAM = "text/event-stream"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PREFIX = "/health"
STREAM_RETRY_AFTER_SECS = 5
MAX_CALLERS = 10_000
"""Buckets kept at most; past it the least recently seen caller's bucket is dropped (which
only ever makes that caller's limit more lenient)."""


def caller_of(scope: Scope) -> str:
    """Who sends this request: the token's hash, or the client address."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return "token:" + hashlib.sha256(value).hexdigest()
    client = scope.get("client")
    return f"address:{client[0]}" if client else "address:unknown"


class TokenBuckets:
    """A token bucket per caller for one ``kind`` of request (writes or reads): ``rate``
    requests a second on average, ``burst`` at once.

    Thread-safe. Memory is bounded: a bucket that has refilled to ``burst`` is the same as no
    bucket, so idle callers are forgotten as soon as theirs is full again, and never more than
    ``max_callers`` are kept.
    """

    def __init__(
        self,
        kind: str,
        rate: float,
        burst: int,
        *,
        max_callers: int = MAX_CALLERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.rate = rate
        self.burst = burst
        self.max_callers = max_callers
        self.clock = clock
        self._refill_secs = burst / rate
        self._lock = threading.Lock()
        # caller → (tokens left, when last counted), least recently seen first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, caller: str) -> float:
        """Spend one token of ``caller``'s; 0 when granted, else the seconds until one is due."""
        now = self.clock()
        with self._lock:
            tokens, counted = self._buckets.pop(caller, (float(self.burst), now))
            self._forget_idle(now)
            tokens = min(float(self.burst), tokens + (now - counted) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[caller] = (tokens - 1 if wait == 0 else tokens, now)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        while self._buckets:
            oldest, (_, counted) = next(iter(self._buckets.items()))
            if now - counted < self._refill_secs and len(self._buckets) < self.max_callers:
                return
            del self._buckets[oldest]


class StreamSlots:
    """How many event streams each caller holds open; thread-safe, an entry per holder only."""

    def __init__(self, per_caller: int) -> None:
        self.per_caller = per_caller
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def acquire(self, caller: str) -> bool:
        with self._lock:
            held = self._open.get(caller, 0)
            if held >= self.per_caller:
                return False
            self._open[caller] = held + 1
            return True

    def release(self, caller: str) -> None:
        with self._lock:
            held = self._open.pop(caller) - 1
            if held:
                self._open[caller] = held


class CallerLimits:
    """ASGI middleware (inside Litestar, after routing) enforcing the limits above."""

    def __init__(
        self,
        app: ASGIApp,
        writes: TokenBuckets | None,
        reads: TokenBuckets | None,
        streams: StreamSlots | None,
    ) -> None:
        self.app = app
        self.writes = writes
        self.reads = reads
        self.streams = streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"].startswith(EXEMPT_PREFIX):
            await self.app(scope, receive, send)
            return
        caller = caller_of(scope)
        buckets = self.writes if scope["method"] in WRITES else self.reads
        if buckets is not None and (wait := buckets.take(caller)):
            await _rate_limited(send, buckets, max(1, math.ceil(wait)))
            return
        if self.streams is None or not _is_stream(scope):
            await self.app(scope, receive, send)
            return
        if not self.streams.acquire(caller):
            message = f"at most {self.streams.per_caller} open event streams per caller"
            details = {"max_streams": self.streams.per_caller}
            await _too_many(send, "too_many_streams", message, STREAM_RETRY_AFTER_SECS, details)
            return
        try:
            await self.app(scope, receive, send)  # returns when the stream ends
        finally:
            self.streams.release(caller)


def caller_limits(settings: Settings) -> DefineMiddleware:
    """The middleware with one app's counters, from the ``KP_RATE_LIMIT_*`` and
    ``KP_MAX_STREAMS_PER_CALLER`` settings (0 turns a limit off)."""
    s = settings
    return DefineMiddleware(
        CallerLimits,
        writes=_buckets("writes", s.rate_limit_writes_per_sec, s.rate_limit_writes_burst),
        reads=_buckets("reads", s.rate_limit_reads_per_sec, s.rate_limit_reads_burst),
        streams=StreamSlots(s.max_streams_per_caller) if s.max_streams_per_caller else None,
    )


def _buckets(kind: str, rate: float, burst: int) -> TokenBuckets | None:
    return TokenBuckets(kind, rate, burst) if rate > 0 else None


def _is_stream(scope: Scope) -> bool:
    return bool(getattr(scope.get("route_handler"), "media_type", None) == EVENT_STREAM)


async def _rate_limited(send: Send, buckets: TokenBuckets, retry_after: int) -> None:
    message = (
        f"too many {buckets.kind}: at most {buckets.rate:g} a second (bursts of "
        f"{buckets.burst}) per caller; retry after {retry_after} s"
    )
    details = {"limit": buckets.kind, "per_sec": buckets.rate, "burst": buckets.burst}
    await _too_many(send, "rate_limited", message, retry_after, details)


async def _too_many(
    send: Send, code: str, message: str, retry_after: int, details: dict[str, Any]
) -> None:
    body = msgspec.json.encode(
        Error(error=ErrorDetail(code=code, message=message, details=details))
    )
    headers = [
        (b"content-type", MediaType.JSON.value.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
