"""Liveness and readiness."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from kangaroo_paw.adapters.http.schemas import Component, ErrorDetail, Health, Readiness

log = logging.getLogger(__name__)

# name → a probe that returns details when the component is up and raises when it is down.
Checks = Mapping[str, Callable[[], Mapping[str, Any]]]


class HealthController(Controller):
    """Is the process up, and can it serve (its dependencies reachable)?"""

    path = "/health"
    tags = ["health"]

    @get("/", operation_id="health")
    async def health(self) -> Health:
        """Liveness: 200 while the process is up."""
        return Health(status="ok", pid=os.getpid())

    @get(
        "/ready",
        operation_id="ready",
        sync_to_thread=True,
        responses={503: ResponseSpec(Readiness, description="A dependency is down")},
    )
    def ready(self, checks: NamedDependency[Checks]) -> Response[Readiness]:
        """Readiness: each component's state; 503 naming what is down."""
        components: dict[str, Component] = {}
        for name, probe in checks.items():
            try:
                components[name] = Component(status="up", detail=dict(probe()))
            except Exception as exc:  # noqa: BLE001 - any failure means "down"
                log.warning("readiness: %s is down: %r", name, exc)
                components[name] = Component(status="down", detail={"error": type(exc).__name__})
        down = sorted(n for n, c in components.items() if c.status == "down")
        if not down:
            return Response(Readiness(status="ok", components=components))
        error = ErrorDetail(
            code="unavailable", message=f"down: {', '.join(down)}", details={"down": down}
        )
        body = Readiness(status="unavailable", components=components, error=error)
        return Response(body, status_code=503, headers={"Retry-After": "1"})
