"""Log lines of a real uvicorn server in the JSON format: no terminal colours, and the server's
own lines about a request carry that request's id (as does its response)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from conftest import serving
from kangaroo_paw.adapters.http.access import AccessLog
from kangaroo_paw.adapters.http.asgi import Receive, Scope, Send
from kangaroo_paw.entrypoints.logs import log_handler
from kangaroo_paw.settings import Settings


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """What the process's JSON handler writes, from every logger (uvicorn's included)."""
    stream = io.StringIO()
    handler = log_handler(Settings(log_format="json"), stream)
    handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def broken_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An app with a bug that escapes every handler."""
    raise RuntimeError("a bug")


def _serve(app: Any) -> uvicorn.Config:
    return uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")


def test_server_lines_have_no_colour_fields_or_escape_sequences() -> None:
    with json_log() as stream, serving(_serve(AccessLog(broken_app)), threading.Event()):
        pass
    raw = stream.getvalue()
    lines = [json.loads(line) for line in raw.splitlines()]
    assert any(line["logger"] == "uvicorn.error" for line in lines), raw  # startup, shutdown
    assert any(line["message"].startswith("Finished server process") for line in lines)
    assert all("color_message" not in line for line in lines), raw
    assert "\\u001b" not in raw


def test_an_escaped_exception_is_logged_and_answered_with_the_request_id() -> None:
    with (
        json_log() as stream,
        serving(_serve(AccessLog(broken_app)), threading.Event()) as (
            host,
            port,
        ),
    ):
        response = httpx.get(f"http://{host}:{port}/x", headers={"x-request-id": "bug-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "bug-1"
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal error", "details": {}}
    }
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (failure,) = [line for line in lines if line["message"].startswith("Exception in ASGI")]
    assert failure["request_id"] == "bug-1"
    assert "RuntimeError: a bug" in failure["exception"]
    (access,) = [line for line in lines if line["logger"] == "kangaroo_paw.http.access"]
    assert (access["status"], access["request_id"]) == (500, "bug-1")
