"""The kitchen screens' routes: public pages and assets (no data in them), and the boards
they draw (reads, behind a token like every other ``/api/v1`` route)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep
from kangaroo_paw.adapters.http.screens import boards
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.views import OrderView
from kangaroo_paw.settings import Settings

STATIC = Path(str(resources.files(__package__) / "static"))
READY_SHOWN = timedelta(minutes=30)
"""How long a completed order stays on the expo board (unless the expo clears it first)."""
HISTORY_PAGES = 10
"""Pages of 200 orders the history reads at most (2000 orders in its window)."""
# The pages load only their own scripts and styles and talk only to this server.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
Counter = Annotated[str | None, QueryParameter(max_length=64, description="a counter's name")]


@cache
def _page(name: str) -> bytes:
    return (STATIC / f"{name}.html").read_bytes()


def _html(name: str) -> Response[bytes]:
    return Response(_page(name), media_type=MediaType.HTML, headers=PAGE_HEADERS)


@get("/", include_in_schema=False)
async def root() -> Redirect:
    """The front door is the screens' index."""
    return Redirect(path="/screens/")


@get(["/screens", "/screens/"], include_in_schema=False)
async def index_page() -> Response[bytes]:
    return _html("index")


@get("/screens/station", include_in_schema=False)
async def station_page() -> Response[bytes]:
    return _html("station")


@get("/screens/expo", include_in_schema=False)
async def expo_page() -> Response[bytes]:
    return _html("expo")


@get("/screens/manager", include_in_schema=False)
async def manager_page() -> Response[bytes]:
    return _html("manager")


class ScreenController(Controller):
    """Boards for the kitchen screens: tickets joined with their orders, already ordered."""

    path = "/api/v1/screens"
    tags = ["screens"]

    @get("/config", operation_id="getScreenConfig", sync_to_thread=True, responses=responses(503))
    def config(
        self, kitchen: KitchenDep, screen_settings: NamedDependency[Settings]
    ) -> boards.ScreenConfig:
        """The age thresholds of the tickets' colours, the server's clock and the event log
        head (follow the stream from there)."""
        return boards.ScreenConfig(
            warn_secs=screen_settings.screen_warn_secs,
            late_secs=screen_settings.screen_late_secs,
            now=kitchen.clock.now(),
            head=kitchen.head_position(),
        )

    @get(
        "/station",
        operation_id="getStationBoard",
        sync_to_thread=True,
        responses=responses(400, 503),
    )
    def station(
        self,
        kitchen: KitchenDep,
        counter: Counter = None,
        staff_id: FromQuery[UUID | None] = None,
    ) -> boards.StationBoard:
        """A counter's (or a cook's) tickets in dispatch order: given tickets by when they
        were given, then (for a counter) the ready queue in pick order."""
        head = kitchen.head_position()
        active = [
            view
            for status in ("ASSIGNED", "STARTED")
            for view in kitchen.list_tasks(status, counter, staff_id, 500)
        ]
        queued = []
        if staff_id is None:
            queued = [q for q in kitchen.queue_view(500) if counter in (None, q.task.counter)]
        wanted = {v.order_id for v in active} | {q.task.order_id for q in queued}
        orders = {order_id: kitchen.get_order(order_id) for order_id in wanted}
        return boards.StationBoard(
            now=kitchen.clock.now(),
            head=head,
            counter=counter,
            staff_id=staff_id,
            cards=boards.station_cards(active, queued, orders),
        )

    @get("/expo", operation_id="getExpoBoard", sync_to_thread=True, responses=responses(503))
    def expo(self, kitchen: KitchenDep) -> boards.ExpoBoard:
        """Open orders with each line's progress, and those completed in the last 30
        minutes (ready to go out), oldest first."""
        head = kitchen.head_position()
        now = kitchen.clock.now()
        views = [v for s in boards.OPEN_ORDER_STATUSES for v in kitchen.list_orders(s, 200)[0]]
        completed, _ = kitchen.list_orders("COMPLETED", 50)
        views += [v for v in completed if v.completed_at and now - v.completed_at < READY_SHOWN]
        views.sort(key=lambda v: v.created_at)
        return boards.ExpoBoard(now=now, head=head, orders=[boards.expo_ticket(v) for v in views])

    @get(
        "/history",
        operation_id="getScreenHistory",
        sync_to_thread=True,
        responses=responses(400, 503),
    )
    def history(
        self,
        kitchen: KitchenDep,
        minutes: Annotated[int, QueryParameter(ge=10, le=240)] = 60,
        buckets: Annotated[int, QueryParameter(ge=2, le=60)] = 12,
    ) -> boards.History:
        """The last ``minutes``: tasks waiting for a cook and open orders over time, and
        the ticket times of the orders completed."""
        now = kitchen.clock.now()
        views = _orders_since(kitchen, now - timedelta(minutes=minutes))
        return boards.history(views, now, minutes, buckets)


def _orders_since(kitchen: Kitchen, since: datetime) -> list[OrderView]:
    """Orders created since ``since`` (newest pages until older ones) and every open one."""
    found: dict[UUID, OrderView] = {}
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        page, cursor = kitchen.list_orders(None, 200, cursor)
        found.update((v.order_id, v) for v in page)
        if cursor is None or not page or page[-1].created_at < since:
            break
    for status in boards.OPEN_ORDER_STATUSES:
        found.update((v.order_id, v) for v in kitchen.list_orders(status, 200)[0])
    return list(found.values())


def screen_routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages, their assets and the boards, for ``create_app``."""

    def provide_settings() -> Settings:
        return settings

    boards_router = Router(
        path="/",
        route_handlers=[ScreenController],
        dependencies={"screen_settings": Provide(provide_settings, sync_to_thread=False)},
    )
    assets = create_static_files_router(
        path="/screens/static",
        directories=[STATIC],
        cache_control=CacheControlHeader(no_cache=True),
        include_in_schema=False,
    )
    return [root, index_page, station_page, expo_page, manager_page, assets, boards_router]
