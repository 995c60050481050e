"""Who is asking, and may they: every route but the health probes, ``/metrics``, the API docs
(``/schema``, ``/docs``) and the kitchen screens' pages (``/``, ``/screens/...``; their data
comes from ``/api/v1``) needs a bearer token (``Authorization: Bearer <secret>``); the token's
role decides what the route allows, from one table, ``ALLOWED``.

- ``manager``: everything.
- ``integration``: read; confirm, quote, rush, fire and cancel orders and void their lines.
- ``station``: read; start, complete, recall and re-fire tasks on the counters the token
  names.
- ``viewer``: read and stream.

Reads (GET) are open to every role; a write not in the table is the manager's alone, so a new
route is closed until it is listed here.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from kangaroo_paw.application.access import Principal
from kangaroo_paw.application.actor import set_actor
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import Forbidden, NotFound, Unauthorized
from kangaroo_paw.domain.token import Role

EVERY_ROLE = frozenset(Role)
ORDER_WRITERS = frozenset({Role.MANAGER, Role.INTEGRATION})
TASK_WORKERS = frozenset({Role.MANAGER, Role.STATION})

# operation id → the roles allowed to call it (writes; reads are open to every role).
ALLOWED: dict[str, frozenset[Role]] = {
    "confirmOrder": ORDER_WRITERS,
    "quoteOrder": ORDER_WRITERS,
    "rushOrder": ORDER_WRITERS,
    "cancelOrder": ORDER_WRITERS,
    "voidOrderLine": ORDER_WRITERS,
    "fireOrder": ORDER_WRITERS,
    "startTask": TASK_WORKERS,
    "completeTask": TASK_WORKERS,
    "recallTask": TASK_WORKERS,
    "refireTask": TASK_WORKERS,
}
# Routes a station token may call only for tasks on its own counters.
STATION_TASK_ROUTES = frozenset({"startTask", "completeTask", "recallTask", "refireTask"})
PUBLIC = frozenset({"health", "ready", "metrics"})  # metrics: counts, never secrets
READS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER = re.compile(r"^Bearer +([A-Za-z0-9._~+/=-]{16,256})$", re.IGNORECASE)


def allowed_roles(operation_id: str | None, methods: set[str]) -> frozenset[Role]:
    if operation_id in ALLOWED:
        return ALLOWED[operation_id]
    if methods <= READS:
        return EVERY_ROLE
    return frozenset({Role.MANAGER})


PUBLIC_PREFIXES = ("/schema", "/docs", "/screens")  # the OpenAPI document, docs UI, screens


def is_public(operation_id: str | None, path: str) -> bool:
    """The probes, the API docs, and the screens' pages and assets (they carry no data:
    the page asks for a token and sends it with every API call)."""
    return (
        operation_id in PUBLIC
        or path == "/"
        or any(path == prefix or path.startswith(f"{prefix}/") for prefix in PUBLIC_PREFIXES)
    )


def operation_of(route_handler: BaseRouteHandler) -> str | None:
    operation_id = getattr(route_handler, "operation_id", None)
    return operation_id if isinstance(operation_id, str) else None


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """The app-wide guard: authenticate the bearer token, then check its role (and, for a
    station, the task's counter). The principal is left on ``connection.state``."""
    state = connection.app.state
    operation_id = operation_of(route_handler)
    if not state.auth or is_public(operation_id, connection.url.path):
        return
    kitchen: Kitchen = state.kitchen
    match = BEARER.match(connection.headers.get("authorization", ""))
    if match is None:
        raise Unauthorized("a bearer token is required: Authorization: Bearer <token>")
    principal = await anyio.to_thread.run_sync(kitchen.authenticate, match.group(1))
    if principal is None:
        raise Unauthorized("the token is unknown, revoked or expired")
    methods = set(getattr(route_handler, "http_methods", ()) or ())
    if principal.role not in allowed_roles(operation_id, methods):
        raise Forbidden(
            f"a {principal.role} token may not call {operation_id or connection.url.path}",
            token=principal.name,
            role=str(principal.role),
        )
    if principal.role == Role.STATION and operation_id in STATION_TASK_ROUTES:
        await anyio.to_thread.run_sync(_check_counter, kitchen, principal, connection)
    connection.state.principal = principal
    set_actor(principal.name, str(principal.role))  # stamped into what this request records


def _check_counter(
    kitchen: Kitchen, principal: Principal, connection: ASGIConnection[Any, Any, Any, Any]
) -> None:
    try:
        task = kitchen.task(UUID(str(connection.path_params.get("task_id", ""))))
    except (ValueError, NotFound):
        return  # the route answers 400 or 404 itself
    if task.counter not in principal.counters:
        raise Forbidden(
            f"station token {principal.name} does not work counter {task.counter}",
            token=principal.name,
            counter=task.counter,
        )
