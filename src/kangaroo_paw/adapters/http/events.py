"""The event log: pages for catching up, and a live Server-Sent Events stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.errors import InvalidRequest, responses
from kangaroo_paw.adapters.http.params import KitchenDep
from kangaroo_paw.adapters.http.schemas import EventPage
from kangaroo_paw.adapters.http.streaming import EventStream

RETRY_MS = 2000
# Notification ids are 64-bit in every store; this bound (2^53 - 1, what a JSON client can hold
# exactly) keeps a huge id a 400 instead of an overflow in the database driver.
MAX_ID = 9_007_199_254_740_991
After = Annotated[
    int, QueryParameter(ge=0, le=MAX_ID, description="notification id to continue after")
]


class EventController(Controller):
    """Recorded domain events as envelopes (DESIGN.md §5)."""

    path = "/api/v1"
    tags = ["events"]

    @get("/events", operation_id="listEvents", sync_to_thread=True, responses=responses(400, 503))
    def list_events(
        self,
        kitchen: KitchenDep,
        after: After = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> EventPage:
        """Events with notification id > after, oldest first; continue from next_after."""
        envelopes = kitchen.event_log(after, limit)
        next_after = envelopes[-1].notification_id if envelopes else after
        return EventPage(events=[present.event(e) for e in envelopes], next_after=next_after)

    @get(
        "/stream",
        operation_id="streamEvents",
        media_type="text/event-stream",
        responses=responses(400),
    )
    async def stream(
        self,
        event_stream: NamedDependency[EventStream],
        after: Annotated[
            int | None,
            QueryParameter(ge=0, le=MAX_ID, description="replay the log after this id first"),
        ] = None,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", required=False, max_length=20)
        ] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events of the envelopes, live; the SSE id is the notification id."""
        # ``after`` (or a reconnecting browser's Last-Event-ID) first replays the log from there.
        start = after
        if start is None and last_event_id:
            if not last_event_id.isdigit() or int(last_event_id) > MAX_ID:
                raise InvalidRequest("Last-Event-ID must be a notification id")
            start = int(last_event_id)
        return ServerSentEvent(_messages(event_stream, start))


async def _messages(
    stream: EventStream, after: int | None
) -> AsyncIterator[ServerSentEventMessage]:
    yield ServerSentEventMessage(data=None, comment="connected", retry=RETRY_MS)
    async for envelope in stream.envelopes(after):
        if envelope is None:
            yield ServerSentEventMessage(data=None, comment="keepalive")
            continue
        data = msgspec.json.encode(present.event(envelope)).decode()
        yield ServerSentEventMessage(data=data, id=envelope.notification_id)
