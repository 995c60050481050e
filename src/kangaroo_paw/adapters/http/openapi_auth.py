"""The document's account of who may call what, read from the tables the guard enforces.

``auth.authorize`` decides every request from ``is_public`` and ``allowed_roles``; the same two
functions decide here, per operation, what the published document says, so the two cannot
drift apart and a new route is documented as it is guarded:

- a public operation (the health probes, ``/metrics``) declares no security;
- every other operation requires the ``bearer`` scheme and documents ``401`` (no token, or an
  unknown, revoked or expired one) with the ``WWW-Authenticate`` challenge the server sends;
- an operation some role may not call documents ``403``, naming the roles that may (a 403 the
  route already documents for another reason keeps its description after that).

With ``KP_AUTH=off`` nothing is guarded, so no operation requires a token and no 401 or role
403 is documented.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar.openapi.spec import Reference, SecurityScheme

from kangaroo_paw.adapters.http.auth import (
    EVERY_ROLE,
    STATION_TASK_ROUTES,
    allowed_roles,
    is_public,
)
from kangaroo_paw.adapters.http.errors import CHALLENGE
from kangaroo_paw.domain.token import Role

SCHEME = "bearer"
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    SCHEME: SecurityScheme(
        type="http",
        scheme="bearer",
        description=(
            "An API token, sent as Authorization: Bearer <secret> "
            "(kangaroo-paw token create --role manager|integration|station|viewer)"
        ),
    )
}
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def document_access(document: dict[str, Any], *, auth: bool, error_ref: str) -> None:
    """Give every guarded operation of ``document`` its security requirement and its 401 and
    403 answers (bodies: the schema at ``error_ref``); public ones get none."""
    document.pop("security", None)  # per operation: a document-wide one would cover /health
    if not auth:
        return
    body = {"application/json": {"schema": {"$ref": error_ref}}}
    for path, method, operation in operations(document):
        operation_id = operation.get("operationId")
        if is_public(operation_id, path):
            continue
        operation["security"] = [{SCHEME: []}]
        responses = operation.setdefault("responses", {})
        responses["401"] = {
            "description": "No valid token: missing, malformed, unknown, revoked or expired "
            "(unauthorized)",
            "headers": {
                "WWW-Authenticate": {
                    "description": f"Always `{CHALLENGE}`",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "content": body,
        }
        roles = allowed_roles(operation_id, {method.upper()})
        if roles != EVERY_ROLE:
            refused = _refusal(roles, station_counters=operation_id in STATION_TASK_ROUTES)
            also = responses.get("403", {}).get("description")
            description = f"{refused}. {also}" if also else f"{refused} (forbidden)"
            responses["403"] = {"description": description, "content": body}
        operation["responses"] = dict(sorted(responses.items()))


def _refusal(roles: frozenset[Role], *, station_counters: bool) -> str:
    names = " and ".join(role.value for role in Role if role in roles)
    text = f"Only {names} tokens may call this"
    if station_counters:
        text += ", a station token only for tasks on the counters it names"
    return text


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of an OpenAPI ``document``."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation
