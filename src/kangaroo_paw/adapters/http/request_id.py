"""The id of the request being handled, so every log line it causes can be told apart.

The outer ASGI middleware (``access.AccessLog``) sets it for the duration of a request and
returns it as ``X-Request-ID``; ``RequestIdFilter`` copies it onto log records. Thread
offloading (anyio's ``to_thread``) copies the context, so sync handlers' lines carry it too.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "x-request-id"
MAX_LENGTH = 64
OUTSIDE = "-"  # the id shown on lines logged outside any request

# Only ids that cannot smuggle anything into a log line or a header are taken from the caller.
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]+")

_current: ContextVar[str | None] = ContextVar("kangaroo_paw_request_id", default=None)


def choose(incoming: str | None) -> str:
    """The caller's id when it is short and plain (a proxy's or client's trace id), else a
    fresh one."""
    if incoming and len(incoming) <= MAX_LENGTH and _ACCEPTED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current() -> str | None:
    """The id of the request being handled here, if any."""
    return _current.get()


@contextmanager
def bound(request_id: str) -> Iterator[None]:
    """``request_id`` is current inside the block (the handling of one request).

    When the block raises, the id stays bound: the server logs the escaped exception
    (uvicorn's ``Exception in ASGI application``) after the app has returned, in the same
    task, and that line belongs to the request too. The server runs each request in a task of
    its own, with a copy of the context, so the id ends with that task.
    """
    token = _current.set(request_id)
    yield
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or OUTSIDE
        return True
