"""The event log over HTTP: paging, and the live Server-Sent Events stream.

The stream is read from a real uvicorn server on loopback (Litestar's TestClient buffers a
whole response, so it cannot read an endless one), always with a read timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import msgspec
import pytest
import uvicorn

from conftest import KitchenClient, serving
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.adapters.http.streaming import EventStream
from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.composition import EmbeddedKitchen
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.settings import Settings

ENVELOPE_FIELDS = {
    "event_id",
    "type",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "notification_id",
    "occurred_at",
    "order_id",
    "task_id",
    "data",
}


def test_events_page_through_the_whole_log(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1})
    head = client.log_head()
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get("/api/v1/events", params={"after": after, "limit": 25}).json()
        if not page["events"]:
            assert page["next_after"] == after
            break
        seen += page["events"]
        after = page["next_after"]
        assert after == page["events"][-1]["notification_id"]
    assert [e["notification_id"] for e in seen] == list(range(1, head + 1))
    assert all(set(e) == ENVELOPE_FIELDS for e in seen)
    assert len({e["event_id"] for e in seen}) == len(seen)
    confirmed = next(e for e in seen if e["type"] == "ORDER_CONFIRMED")
    assert confirmed["order_id"] == order["order_id"]
    assert confirmed["aggregate_type"] == "Order"
    ready = [e for e in seen if e["type"] == "TASK_READY"]
    assert {e["task_id"] for e in ready} == set(order["ready_task_ids"])
    assert {e["order_id"] for e in ready} == {order["order_id"]}


@dataclass
class Live:
    url: str
    embedded: EmbeddedKitchen
    stopping: threading.Event
    auth: dict[str, str]

    def confirm(self, items: dict[str, int]) -> Any:
        response = httpx.post(
            f"{self.url}/api/v1/orders/confirm", json={"items": items}, headers=self.auth
        )
        assert response.status_code == 201, response.text
        self.embedded.runtime.drain()  # the follower publishes to the bus
        return response.json()


@pytest.fixture
def live(settings: Settings, embedded: EmbeddedKitchen) -> Iterator[Live]:
    stopping = threading.Event()
    app = create_app(
        settings,
        embedded.kitchen,
        embedded.bus,
        stopping=stopping,
        stream_poll_secs=0.02,
        heartbeat_secs=0.2,
    )
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    _, secret = embedded.kitchen.issue_token("stream-viewer", "manager")
    auth = {"Authorization": f"Bearer {secret}"}
    with serving(config, stopping) as (host, port):
        yield Live(f"http://{host}:{port}", embedded, stopping, auth)


@dataclass
class Reader:
    """Parses an SSE response into messages; bounded by the client's read timeout."""

    lines: Iterator[str]
    comments: list[str] = field(default_factory=list)

    def next_event(self) -> tuple[int, dict[str, Any]]:
        event_id: int | None = None
        data: list[str] = []
        for line in self.lines:
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                assert event_id is not None
                return event_id, msgspec.json.decode("\n".join(data))
        raise AssertionError("the stream ended")

    def events(self, count: int) -> list[tuple[int, dict[str, Any]]]:
        return [self.next_event() for _ in range(count)]


def _stream(live: Live, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    headers = {**live.auth, **(headers or {})}
    return httpx.stream("GET", f"{live.url}/api/v1/stream", timeout=5.0, headers=headers, **kwargs)


def test_stream_replays_then_delivers_live(live: Live) -> None:
    head = live.embedded.kitchen.head_position()
    with _stream(live, params={"after": 0}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response.iter_lines())
        replay = reader.events(head)
        assert [i for i, _ in replay] == list(range(1, head + 1))
        assert all(i == e["notification_id"] for i, e in replay)
        assert "connected" in reader.comments
        order = live.confirm({"dip_cup": 1})
        live_events = reader.events(3)
        assert [e["type"] for _, e in live_events] == [
            "ORDER_CONFIRMED",
            "TASK_CREATED",
            "TASK_READY",
        ]
        assert {e["order_id"] for _, e in live_events} == {order["order_id"]}
        assert [i for i, _ in live_events] == list(range(head + 1, head + 4))


def test_stream_resumes_from_last_event_id(live: Live) -> None:
    head = live.embedded.kitchen.head_position()
    with _stream(live, headers={"Last-Event-ID": str(head - 2)}) as response:
        reader = Reader(response.iter_lines())
        assert [i for i, _ in reader.events(2)] == [head - 1, head]


def test_live_only_stream_has_heartbeats_and_ends_on_shutdown(live: Live) -> None:
    with _stream(live) as response:
        reader = Reader(response.iter_lines())
        order = live.confirm({"wrap": 1})
        first_id, first = reader.next_event()
        assert first["type"] == "ORDER_CONFIRMED"
        assert first["order_id"] == order["order_id"]
        assert first_id > 0
        time.sleep(0.5)
        live.stopping.set()  # what SIGTERM does: open streams end, connections close
        rest = list(reader.lines)
        assert (
            any(line.startswith(": keepalive") for line in rest) or "keepalive" in reader.comments
        )


def _envelopes(embedded: EmbeddedKitchen, after: int) -> list[Envelope]:
    return embedded.kitchen.event_log(after, 10_000)


def test_stream_repairs_a_dropping_subscription_from_the_log(client: KitchenClient) -> None:
    embedded = client.embedded
    bus = InProcessEventBus()
    start = client.log_head()
    stream = EventStream(embedded.kitchen, bus, poll_secs=0.01, heartbeat_secs=0.05, mailbox=2)
    got: list[Envelope | None] = []

    async def consume() -> None:
        async for item in stream.envelopes(start):
            got.append(item)
            if item is None and len(got) > 3:
                stream.stopping.set()

    async def produce() -> None:
        await anyio.sleep(0.05)
        client.confirm({"burger_combo": 2})  # ~40 events through a mailbox of 2
        bus.publish(_envelopes(embedded, start))

    async def main() -> None:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                tg.start_soon(produce)

    anyio.run(main)
    delivered = [e.notification_id for e in got if e is not None]
    assert delivered == list(range(start + 1, client.log_head() + 1))
    assert None in got  # heartbeats while idle


def test_stream_without_a_bus_polls_the_log(client: KitchenClient) -> None:
    stream = EventStream(client.embedded.kitchen, None, poll_secs=0.01)
    start = client.log_head()
    got: list[int] = []

    async def main() -> None:
        with anyio.fail_after(10):
            async for item in stream.envelopes(start - 3):
                assert item is not None
                got.append(item.notification_id)
                if len(got) == 3:
                    client.confirm({"dip_cup": 1})
                if len(got) == 6:
                    break

    anyio.run(main)
    assert got == list(range(start - 2, start + 4))
