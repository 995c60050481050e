"""The app factory: the only place the HTTP adapter is wired."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, cast

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.spec import Tag
from litestar.types import ASGIApp

from kangaroo_paw.adapters.http.access import AccessLog
from kangaroo_paw.adapters.http.all_day import AllDayController
from kangaroo_paw.adapters.http.allocation import AllocatorController, QueueController
from kangaroo_paw.adapters.http.auth import authorize
from kangaroo_paw.adapters.http.docs_ui import docs_routes
from kangaroo_paw.adapters.http.errors import exception_handlers
from kangaroo_paw.adapters.http.events import EventController
from kangaroo_paw.adapters.http.guards import BrowserGuard, BrowserPolicy, cors_config
from kangaroo_paw.adapters.http.health import Checks, HealthController
from kangaroo_paw.adapters.http.limits import caller_limits
from kangaroo_paw.adapters.http.metrics import MetricsController, RequestMetrics
from kangaroo_paw.adapters.http.openapi import openapi_config
from kangaroo_paw.adapters.http.orders import OrderController
from kangaroo_paw.adapters.http.recipes import RecipeController
from kangaroo_paw.adapters.http.screens.routes import screen_routes
from kangaroo_paw.adapters.http.staff import StaffController
from kangaroo_paw.adapters.http.stations import CounterController, MachineController
from kangaroo_paw.adapters.http.streaming import EventBus, EventStream
from kangaroo_paw.adapters.http.tasks import TaskController
from kangaroo_paw.adapters.http.validation import strict_body
from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.settings import Settings

CONTROLLERS = [
    OrderController,
    TaskController,
    AllocatorController,
    QueueController,
    CounterController,
    MachineController,
    StaffController,
    RecipeController,
    AllDayController,
    EventController,
    HealthController,
    MetricsController,
]

TAGS = [
    Tag(name="orders", description="Confirm, read, list and cancel orders"),
    Tag(name="tasks", description="Read tasks; start and complete them"),
    Tag(name="allocation", description="Allocation passes and the ready queue"),
    Tag(name="kitchen", description="Counters, machines, cooks and all-day counts"),
    Tag(name="recipes", description="Menu items as steps and dependencies"),
    Tag(name="events", description="The event log and its live stream"),
    Tag(name="screens", description="Boards the kitchen screens draw (/screens/)"),
    Tag(name="health", description="Liveness and readiness"),
]


def event_store_check(kitchen: Kitchen) -> Mapping[str, Any]:
    """A cheap query against the event store: its head position."""
    return {"head": kitchen.head_position()}


def create_app(
    settings: Settings,
    kitchen: Kitchen,
    bus: EventBus | None = None,
    *,
    checks: Checks | None = None,
    stopping: threading.Event | None = None,
    unavailable: tuple[type[Exception], ...] = (),
    stream_poll_secs: float = 0.2,
    heartbeat_secs: float = 15.0,
    metrics: PrometheusMetrics | None = None,
) -> Litestar:
    """Build the HTTP API v1 over ``kitchen``.

    ``bus`` feeds the live stream (without one it polls the log); ``checks`` are extra
    readiness probes beside ``event_store``; ``stopping`` ends open streams on shutdown;
    ``unavailable`` lists exception types that mean "a dependency is down" (→ 503);
    ``metrics`` is the process's registry behind ``/metrics`` (default: a new one with the
    HTTP series only).
    """
    metrics = metrics or PrometheusMetrics(process=False)
    stream = EventStream(
        kitchen,
        bus,
        poll_secs=stream_poll_secs,
        heartbeat_secs=heartbeat_secs,
        stopping=stopping,
    )
    probes: dict[str, Any] = {"event_store": lambda: event_store_check(kitchen)}
    probes.update(checks or {})

    def provide_kitchen() -> Kitchen:
        return kitchen

    def provide_stream() -> EventStream:
        return stream

    def provide_checks() -> Checks:
        return probes

    app = Litestar(
        route_handlers=[*CONTROLLERS, *docs_routes(), *screen_routes(settings)],
        dependencies={
            "kitchen": Provide(provide_kitchen, sync_to_thread=False),
            "event_stream": Provide(provide_stream, sync_to_thread=False),
            "checks": Provide(provide_checks, sync_to_thread=False),
        },
        exception_handlers=exception_handlers(unavailable),
        guards=[authorize],
        state=State({"kitchen": kitchen, "auth": settings.auth, "metrics": metrics}),
        middleware=[caller_limits(settings)],
        before_request=strict_body,
        request_max_body_size=settings.max_body_bytes,
        cors_config=cors_config(settings),
        openapi_config=openapi_config(settings, TAGS),
        logging_config=None,  # the process configures logging (entrypoints.logs)
        debug=False,
    )
    # Around Litestar's own handler (not its per-route middleware), so that unknown routes and
    # 405s are guarded and logged too, and every server built here has both.
    guarded = BrowserGuard(app.asgi_handler, BrowserPolicy.from_settings(settings))
    timed = RequestMetrics(guarded, metrics)
    app.asgi_handler = cast(ASGIApp, AccessLog(timed))  # loosely typed ASGI, same protocol
    return app
