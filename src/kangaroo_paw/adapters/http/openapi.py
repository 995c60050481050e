"""The published OpenAPI document, exactly as the server enforces it.

Litestar generates the document from the handlers. Served as it comes, it would promise less
than the server checks: its msgspec support drops ``additionalProperties: false``, the bounds
on list items and dict values, and says nothing of the kitchen's own rules, so a client that
validated against it could still get a 400. Before the document is served, ``ExactDocument``:

- replaces the schema of every request body with msgspec's JSON Schema of the same Struct
  (``bodies.py``): what the decoder enforces, plus the kitchen rules stated with ``Rule``,
  plus the limits that are settings (``KP_MAX_QTY_PER_LINE``, ``KP_MAX_LINES_PER_ORDER``);
- gives every operation a short written summary (``SUMMARIES``; without an entry, the first
  clause of its handler's docstring, never Litestar's ``GetOrder``);
- says, per operation, whether it needs a bearer token and which roles it refuses, with the
  401 and 403 answers (``openapi_auth.py``, from the guard's own tables);
- describes the event stream's ``text/event-stream`` body.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, Tag

from kangaroo_paw._version import __version__
from kangaroo_paw.adapters.http import bodies
from kangaroo_paw.adapters.http.openapi_auth import SECURITY_SCHEMES, document_access, operations
from kangaroo_paw.adapters.http.schemas import Error
from kangaroo_paw.settings import Settings

SCHEMA_PATH = "/schema"
REF_TEMPLATE = "#/components/schemas/{name}"

# operationId -> summary: what the operation does, in a few words.
SUMMARIES = {
    "confirmOrder": "Confirm an order",
    "quoteOrder": "Quote when an order would be ready",
    "getOrder": "Read an order",
    "listOrders": "List orders",
    "cancelOrder": "Cancel an order",
    "rushOrder": "Rush an order, or take the rush back",
    "getTask": "Read a task",
    "listTasks": "List tasks",
    "startTask": "Start a task",
    "completeTask": "Complete a task",
    "runAllocatorOnce": "Run one allocation pass",
    "getQueue": "Read the ready queue in pick order",
    "listCounters": "List counters",
    "addCounter": "Add a counter",
    "changeCounterCapacity": "Change a counter's capacity",
    "listMachines": "List machines",
    "addMachine": "Add a machine",
    "takeMachineDown": "Take a machine down",
    "bringMachineUp": "Bring a machine back up",
    "listStaff": "List cooks",
    "getStaff": "Read a cook",
    "hireStaff": "Hire a cook",
    "updateStaff": "Change a cook's skills, parallelism, efficiency or shift",
    "startBreak": "Send a cook on break",
    "endBreak": "End a cook's break",
    "listRecipes": "List recipes",
    "getRecipe": "Read a recipe",
    "defineRecipe": "Create or revise a recipe",
    "retireRecipe": "Retire a recipe",
    "listEvents": "Read the event log, a page at a time",
    "streamEvents": "Follow the live event stream (Server-Sent Events)",
    "health": "Liveness probe",
    "ready": "Readiness probe",
}

STREAM_FORMAT = """Server-Sent Events (the HTML standard's `text/event-stream`), UTF-8, one event \
per recorded domain event, in log order:

- first a comment `: connected` and `retry: 2000` (reconnect after 2 s);
- then, per event, `id: <notification_id>` and `data: <one line of JSON>`, followed by a blank \
line. The JSON is the event envelope, the `Event` schema of this document (`event_id`, `type`, \
`aggregate_type`, `aggregate_id`, `aggregate_version`, `notification_id`, `occurred_at`, \
`order_id`, `task_id`, `data`);
- a comment `: keepalive` after 15 s of silence.

Events have no `event:` field (they are all `message` events; the type is in the JSON). \
A client that reconnects with `Last-Event-ID` (or `?after=`) gets every event after that id \
first, then the live ones, so it misses nothing and sees nothing twice. The stream ends when \
the client disconnects or the server stops."""

STREAM_EXAMPLE = (
    ": connected\nretry: 2000\n\n"
    'id: 38\ndata: {"event_id":"e3e89482-6f1f-4b55-9d2e-7b1c1f0a2b3c","type":"ORDER_CONFIRMED",'
    '"aggregate_type":"Order","aggregate_id":"c40fbef0-2cdb-5b74-b477-eb7a59becebe",'
    '"aggregate_version":1,"notification_id":38,"occurred_at":"2026-11-29T12:00:00Z",'
    '"order_id":"c40fbef0-2cdb-5b74-b477-eb7a59becebe","task_id":null,"data":{}}\n\n'
    ": keepalive\n\n"
)


def openapi_config(settings: Settings, tags: Sequence[Tag]) -> OpenAPIConfig:
    """The document at ``/schema/openapi.json`` (also ``/schema``). No render plugin that loads
    scripts from a CDN: the docs UI is ``/docs`` (``docs_ui.py``)."""
    return OpenAPIConfig(
        title="Kangaroo Paw",
        version=__version__,
        description=(
            "HTTP API v1 of the Kangaroo Paw kitchen scheduling engine. A request that "
            "validates against this document is never answered 400; see docs/http.md for "
            "the 404, 409 and 422 answers that depend on the kitchen's state."
        ),
        path=SCHEMA_PATH,
        tags=list(tags),
        components=Components(security_schemes=SECURITY_SCHEMES),
        use_handler_docstrings=True,
        render_plugins=[ExactDocument(settings)],
    )


class ExactDocument(JsonRenderPlugin):
    """Serves the generated document refined by ``refine`` (computed once, then reused)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self._refined: tuple[int, dict[str, Any]] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._refined is None or self._refined[0] != id(openapi_schema):
            self._refined = (id(openapi_schema), refine(openapi_schema, self.settings))
        return self.render_json(request, self._refined[1])


def refine(generated: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A copy of Litestar's ``generated`` document with exact request schemas, written
    summaries, each operation's security and auth answers, and the event stream described."""
    document = copy.deepcopy(generated)
    document_access(
        document, auth=settings.auth, error_ref=REF_TEMPLATE.format(name=Error.__name__)
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(request_schemas(settings))
    for _, _, operation in operations(document):
        operation["summary"] = SUMMARIES.get(operation.get("operationId", "")) or _first_clause(
            operation.get("description", "")
        )
    stream = document.get("paths", {}).get("/api/v1/stream", {}).get("get")
    if stream is not None:
        stream["responses"]["200"] = {
            "description": "The event stream; see the operation's description for its format.",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string", "description": STREAM_FORMAT},
                    "example": STREAM_EXAMPLE,
                }
            },
        }
        stream["description"] = f"{stream.get('description', '')}\n\n{STREAM_FORMAT}".strip()
    return document


def request_schemas(settings: Settings) -> dict[str, Any]:
    """msgspec's JSON Schema of every request body Struct (and the Structs they nest), named as
    Litestar names them, with the settings' limits on an order added."""
    _, components = msgspec.json.schema_components(
        sorted(_subclasses(bodies.Body), key=lambda struct: struct.__name__),
        ref_template=REF_TEMPLATE,
    )
    items = components[bodies.ConfirmOrderRequest.__name__]["properties"]["items"]
    items["maxProperties"] = settings.max_lines_per_order
    items["additionalProperties"]["maximum"] = settings.max_qty_per_line
    return components


def _subclasses(cls: type[msgspec.Struct]) -> Iterator[type[msgspec.Struct]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _first_clause(description: str) -> str:
    """``Read one order with its tasks.`` → ``Read one order with its tasks``."""
    return re.split(r"[.;:(]\s|\n", description.strip() + " ", maxsplit=1)[0].rstrip(".")
