"""Strict requests: JSON-only bodies whose wrong JSON types are a 400, never silently
coerced, and no query parameter given twice where it holds one value."""

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
    leniently (``"1"`` becomes ``1``); docs/http.md says a wrong type is a 400. Litestar's own
    parsing still runs afterwards (and reports a missing body).
    """
    if request.method in WRITES:
        await _json_only(request)
    handler = request.route_handler
    _single_query_values(request)
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
        _decode_strictly(raw, body_type)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"message": str(exc), "key": "data", "source": "body"}],
        ) from None


def _decode_strictly(raw: bytes, body_type: Any) -> None:
    """Decode ``raw`` against ``body_type`` without coercion, except that a number without a
    fraction (``3.0``, ``3e0``) is an integer, as JSON Schema's ``integer`` says; msgspec's
    strict mode alone would refuse it (Litestar's own parsing afterwards accepts it)."""
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        integral = _integral(msgspec.json.decode(raw))
        try:
            msgspec.json.decode(msgspec.json.encode(integral), type=body_type, strict=True)
        except msgspec.ValidationError:
            raise exc from None


def _integral(value: Any) -> Any:
    """``value`` with every float that has no fraction as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value


async def _json_only(request: Request[Any, Any, Any]) -> None:
    declared = request.headers.get("content-type")
    if declared is None and not await request.body():
        return
    media_type = (declared or "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(
            status_code=415, detail="request bodies must be sent as Content-Type: application/json"
        )


def _single_query_values(request: Request[Any, Any, Any]) -> None:
    """Refuse ``?counter=a&counter=b`` for a parameter that holds one value: Litestar would
    silently keep one of them, and the schema declares a string, not an array. (Unknown
    parameters are ignored, repeated or not.)"""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = {name for name in names if names.count(name) > 1}
    if not repeated:
        return
    parameters = request.route_handler.parsed_fn_signature.parameters
    for name in sorted(repeated):
        field = parameters.get(name)
        if field is not None and not field.is_non_string_collection:
            raise ValidationException(
                detail=f"query parameter {name!r} may be given once",
                extra=[{"message": "given more than once", "key": name, "source": "query"}],
            )
