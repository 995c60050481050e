"""The error model: every failure is one body ``{"error": {"code", "message", "details"}}``.

Kitchen rule violations map to 4xx by their class; malformed requests (Litestar's validation
and routing errors) to 400/404/405/413; an unreachable event store to 503. Anything else is a
bug: a 500 whose body says nothing about the internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError, RecordConflictError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from kangaroo_paw.adapters.http.schemas import Error, ErrorDetail
from kangaroo_paw.domain.errors import (
    CapacityExceeded,
    Conflict,
    Forbidden,
    InvalidOrder,
    InvalidQuantity,
    InvalidResource,
    InvalidTransition,
    ItemUnavailable,
    KitchenError,
    NoEligibleStaff,
    NotFound,
    NotHeld,
    RecipeInvalid,
    StationDown,
    Unauthorized,
    UnknownItem,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SECS = 1
CHALLENGE = 'Bearer realm="kangaroo-paw"'  # WWW-Authenticate on every 401


class InvalidRequest(KitchenError):
    """The request is malformed in a way the schema cannot express (an unparseable cursor)."""

    code = "invalid_request"


STATUS_OF: dict[type[KitchenError], int] = {
    InvalidRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    InvalidTransition: 409,
    Conflict: 409,
    NotHeld: 409,
    CapacityExceeded: 409,
    StationDown: 409,
    NoEligibleStaff: 409,
    UnknownItem: 422,
    ItemUnavailable: 422,
    InvalidQuantity: 422,
    InvalidOrder: 422,
    RecipeInvalid: 422,
    InvalidResource: 422,
}

_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def status_of(exc: KitchenError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 422


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Error]:
    body = Error(error=ErrorDetail(code=code, message=message, details=dict(details or {})))
    return Response(
        body, status_code=status, media_type=MediaType.JSON, headers=dict(headers or {})
    )


def _kitchen_error(_: Request[Any, Any, Any], exc: KitchenError) -> Response[Error]:
    status = status_of(exc)
    challenge = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return error_response(status, exc.code, exc.message, exc.details, challenge)


CLIENT_GONE = "client disconnected prematurely"  # Litestar's words for a body cut short


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Error]:
    if exc.status_code == 500 and str(exc.detail) == CLIENT_GONE:
        # The client dropped (or a body deadline dropped it) mid-body: nobody reads this
        # answer and it is not our failure, so it is not logged as one.
        log.info("request body cut short: the client disconnected")
        return error_response(400, "client_disconnected", "the request body was cut short")
    status = exc.status_code
    code = _HTTP_CODES.get(status, f"http_{status}")
    message = str(exc.detail) or HTTPStatus(status).phrase
    details: dict[str, Any] = {}
    if isinstance(exc, ValidationException) or status == 400:
        extra = exc.extra
        if isinstance(extra, list) and extra:
            extra = [_readable(item) for item in extra]
            details["errors"] = extra
            first = extra[0]
            if isinstance(first, Mapping) and first.get("message"):
                message = f"{message}: {first['message']}"
        elif isinstance(extra, Mapping):
            details.update(extra)
    if status >= 500:
        log.error("HTTP %d: %s", status, message)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return error_response(status, code, message, details, headers)


def _readable(item: Any) -> Any:
    # Litestar reports a missing body as a KeyError on its ``data`` argument: say what it means.
    if isinstance(item, Mapping) and item.get("message") == "'data'":
        return {**item, "message": "a JSON request body is required"}
    return item


def _version_conflict(_: Request[Any, Any, Any], exc: Exception) -> Response[Error]:
    return error_response(
        409, "conflict", "the state changed under a concurrent update; retry the request"
    )


def _store_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Error]:
    log.warning("event store unavailable on %s %s: %r", request.method, request.url.path, exc)
    return error_response(
        503,
        "unavailable",
        "the event store is unreachable; retry later",
        {"component": "event_store"},
        {"Retry-After": str(RETRY_AFTER_SECS)},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Error]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def exception_handlers(
    unavailable: tuple[type[Exception], ...] = (),
) -> ExceptionHandlersMap:
    """The handler map; ``unavailable`` adds exception types that mean "a dependency is down"
    (a services-mode adapter's connection errors)."""
    handlers: ExceptionHandlersMap = {
        KitchenError: _kitchen_error,
        HTTPException: _http_error,
        RecordConflictError: _version_conflict,
        IntegrityError: _version_conflict,
        PersistenceError: _store_down,
        sqlite3.Error: _store_down,
        Exception: _unexpected,
    }
    for kind in unavailable:
        handlers[kind] = _store_down
    return handlers


def responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a route can answer with (and 429: every route
    but the health probes is rate-limited, see ``limits``)."""
    return {
        status: ResponseSpec(
            data_container=Error,
            description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
        )
        for status in (*statuses, 429)
    }


_DESCRIPTIONS = {
    400: "Malformed request: not JSON, wrong types or unknown fields (invalid_request)",
    403: "The caller may not act on this (forbidden)",
    404: "Nothing with that id or name (not_found)",
    409: "Conflicts with the current state (invalid_state, conflict, capacity_exceeded, not_held)",
    413: "Request body larger than KP_MAX_BODY_BYTES (payload_too_large)",
    422: "Semantically invalid (unknown_item, item_unavailable, invalid_quantity, "
    "invalid_recipe, ...)",
    429: "Over the caller's rate limit or stream cap; retry after Retry-After seconds "
    "(rate_limited, too_many_streams)",
    503: "The event store is unreachable; retry later (unavailable)",
}
