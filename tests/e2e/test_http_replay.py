"""A stream's replay of the log is served in bounded pages and shares the store fairly.

Replaying from ``after=0`` (or a Last-Event-ID) reads the backlog page by page; across all the
streams of an app only ``READERS`` page reads run at once, and a stream lets other tasks run
while it sends a page, so many replays do not stall the other requests. What is asserted is
the shape of the reads (counted through a recording log), never a timing.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest

from conftest import KitchenClient
from kangaroo_paw.adapters.http import streaming
from kangaroo_paw.adapters.http.streaming import EventStream
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.ports.envelope import Envelope


class RecordingLog:
    """The kitchen's log, recording every page read and how many ran at once."""

    def __init__(self, kitchen: Kitchen) -> None:
        self.kitchen = kitchen
        self.reads: list[tuple[int, int]] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def head_position(self) -> int:
        return self.kitchen.head_position()

    def event_log(self, after: int, limit: int) -> list[Envelope]:
        with self._lock:
            self.reads.append((after, limit))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(0.005)  # a store read takes a while: concurrent reads would overlap
            return self.kitchen.event_log(after, limit)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def log(client: KitchenClient) -> RecordingLog:
    client.confirm({"burger_combo": 2})  # a log of some length beyond the seeded kitchen
    return RecordingLog(client.embedded.kitchen)


def _stream(log: RecordingLog) -> EventStream:
    return EventStream(log, None, poll_secs=0.01)  # type: ignore[arg-type]


async def _replay(stream: EventStream, head: int, seen: Any = None) -> list[int]:
    """Notification ids from a replay from 0, up to ``head``; ``seen`` is told each one."""
    ids: list[int] = []
    async for envelope in stream.envelopes(0):
        assert envelope is not None
        ids.append(envelope.notification_id)
        if seen is not None:
            seen(envelope)
        if envelope.notification_id == head:
            return ids
    raise AssertionError("the stream ended")


def test_a_replay_reads_the_backlog_in_pages(log: RecordingLog, monkeypatch: Any) -> None:
    monkeypatch.setattr(streaming, "PAGE", 10)
    head = log.head_position()
    ids = anyio.run(_replay, _stream(log), head)
    assert ids == list(range(1, head + 1))
    assert len(log.reads) >= head // 10
    assert {limit for _, limit in log.reads} == {10}
    assert [after for after, _ in log.reads[: head // 10]] == list(range(0, head // 10 * 10, 10))


def test_concurrent_replays_take_turns_at_the_store(log: RecordingLog, monkeypatch: Any) -> None:
    monkeypatch.setattr(streaming, "PAGE", 10)
    head = log.head_position()
    stream = _stream(log)  # one app: its streams share the readers
    results: list[list[int]] = []

    async def main() -> None:
        async def one() -> None:
            results.append(await _replay(stream, head))

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one)

    anyio.run(main)
    assert results == [list(range(1, head + 1))] * 6
    assert log.most_at_once == streaming.READERS


def test_a_replay_lets_other_tasks_run_while_it_sends_a_page(log: RecordingLog) -> None:
    head = log.head_position()
    assert streaming.YIELD_EVERY < head <= streaming.PAGE  # the whole backlog is one page
    ticks = 0
    at: dict[int, int] = {}

    async def main() -> None:
        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await anyio.sleep(0)

        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            await _replay(_stream(log), head, lambda e: at.setdefault(e.notification_id, ticks))
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert at[head] > at[1]  # the ticker ran between the page's first and last event
