"""Strict request bodies: JSON only, and wrong JSON types are a 400, never silently coerced."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException

from kangaroo_paw.adapters.http.guards import WRITES

_BODY_TYPES: dict[object, Any] = {}
_NO_BODY = object()


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a write whose body is not declared ``application/json`` (415), then decode the
    body strictly against the handler's ``data`` type before Litestar does.

    Litestar reads any body as JSON whatever its Content-Type, so a cross-site HTML form or a
    ``text/plain`` fetch (which browsers send without asking, unlike JSON) would be obeyed. A
    write with no body and no Content-Type (cancel, run-once) stays allowed. Litestar converts
    leniently (``"1"`` becomes ``1``); API.md says a wrong type is a 400. Litestar's own
    parsing still runs afterwards (and reports a missing body).
    """
    if request.method in WRITES:
        await _json_only(request)
    handler = request.route_handler
    body_type = _BODY_TYPES.get(handler, _NO_BODY)
    if body_type is _NO_BODY:
        field = handler.parsed_fn_signature.parameters.get("data")
        body_type = _BODY_TYPES[handler] = field.annotation if field is not None else None
    if body_type is None:
        return
    raw = await request.body()
    if not raw:
        return
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"message": str(exc), "key": "data", "source": "body"}],
        ) from None


async def _json_only(request: Request[Any, Any, Any]) -> None:
    declared = request.headers.get("content-type")
    if declared is None and not await request.body():
        return
    media_type = (declared or "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(
            status_code=415, detail="request bodies must be sent as Content-Type: application/json"
        )
