"""Deadlines for reading a request, so slow clients cannot hold connections open.

uvicorn closes an idle keep-alive connection, but a client that opens a connection and sends
its request headers (or its body) a byte at a time holds it for as long as it likes
(slowloris). ``RequestDeadlines`` is uvicorn's h11 protocol with two deadlines on top: from
the moment a connection opens, or its previous response ends, the client has ``header_secs``
to send complete request headers; once they are in, ``body_secs`` for the whole body. A
connection that misses one is closed. Both deadlines are absolute, so trickling bytes does not
extend them; neither applies while the server is answering (an event stream is not cut).
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


class RequestDeadlines(H11Protocol):
    """The h11 protocol, watching the client's side of the connection after every read."""

    header_secs: float = 10.0
    body_secs: float = 30.0

    _phase: object = None  # an h11 state (a sentinel class)
    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def _watch(self) -> None:
        """Arm the deadline of the phase the client is in, when it enters it."""
        phase = self.conn.their_state
        if phase is self._phase:
            return
        self._phase = phase
        self._cancel()
        if phase is h11.IDLE:
            self._timer = self.loop.call_later(self.header_secs, self._expire, "request headers")
        elif phase is h11.SEND_BODY:
            self._timer = self.loop.call_later(self.body_secs, self._expire, "the request body")

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, what: str) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.info("closing the connection from %s: %s not received in time", client, what)
        self.transport.close()


def request_deadlines(header_secs: float, body_secs: float) -> type[RequestDeadlines]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these deadlines."""

    class Configured(RequestDeadlines):
        pass

    Configured.header_secs = header_secs
    Configured.body_secs = body_secs
    return Configured
