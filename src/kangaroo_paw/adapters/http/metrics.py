"""``GET /metrics`` (Prometheus text format, public like the health probes: it carries counts
and timings, never a token, an order or a name) and the request-latency middleware."""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, get

from kangaroo_paw.adapters.http.asgi import ASGIApp, Message, Receive, Scope, Send
from kangaroo_paw.adapters.prometheus.registry import CONTENT_TYPE, PrometheusMetrics

# The route label of a request that matched no route (404, 405, refused by a guard before
# routing): one series for all of them, whatever paths a scanner tries.
UNMATCHED = "unmatched"
# Methods outside HTTP's own are one label value too, so a client cannot add series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsController(Controller):
    """The process's metrics for Prometheus."""

    path = "/metrics"
    tags = ["health"]

    @get("/", operation_id="metrics", sync_to_thread=True, media_type=CONTENT_TYPE)
    def metrics(self, request: Request[Any, Any, Any]) -> bytes:
        """Every ``kangaroo_paw_*`` series of this process, in the Prometheus text format
        (see docs/metrics.md). Needs no token."""
        registry: PrometheusMetrics = request.app.state.metrics
        return registry.exposition()


class RequestMetrics:
    """Times every HTTP request, labelled by the route template Litestar matched (so
    ``/api/v1/orders/{order_id}`` is one series however many orders there are), the
    method and the status sent."""

    def __init__(self, app: ASGIApp, metrics: PrometheusMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before responding

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("path_template") or UNMATCHED
            method = scope.get("method")
            method = method if method in METHODS else "other"
            self.metrics.http_request(route, method, status, time.perf_counter() - started)
