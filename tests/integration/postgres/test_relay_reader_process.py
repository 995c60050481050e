"""The relay's reader process: the very bytes of the in-process path, in order, and a killed
reader loses or reorders nothing (the batch is read in-process, the reader restarted)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from kangaroo_paw.adapters.kafka.publisher import encode_envelope, envelope_key
from kangaroo_paw.adapters.postgres.outbox_log import OutboxLog
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.relay import EncodedRecord
from kangaroo_paw.composition import Services, build_services
from kangaroo_paw.entrypoints.relay_reader import ReaderProcessLog
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def services(pg_settings: Settings) -> Iterator[Services]:
    services = build_services(pg_settings, with_queue=False)
    seed_demo_kitchen(services.kitchen)
    for n in range(12):
        view, _ = services.kitchen.confirm_order({"wrap": 1, "cold_coffee": 1 + n % 2}, f"r-{n}")
        if n % 4 == 3:
            services.kitchen.cancel_order(view.order_id, "test")
    yield services
    services.close()


def expected(services: Services) -> list[EncodedRecord]:
    return [
        (e.notification_id, envelope_key(e), encode_envelope(e))
        for e in services.kitchen.event_log(0, 1_000_000)
    ]


def read_all(
    reader: ReaderProcessLog, limit: int, kill_after: int | None = None
) -> list[EncodedRecord]:
    got: list[EncodedRecord] = []
    after = 0
    while True:
        batch = reader.records(after, limit)
        got.extend(batch)
        if kill_after is not None and len(got) >= kill_after and reader.pid is not None:
            os.kill(reader.pid, signal.SIGKILL)  # mid-stream, with a read ahead in flight
            kill_after = None
        if len(batch) < limit:
            return got
        after = batch[-1][0]


def test_the_reader_process_delivers_the_in_process_bytes_in_order(
    pg_settings: Settings, services: Services
) -> None:
    reader = ReaderProcessLog(pg_settings, OutboxLog(services.kitchen))
    reader.start()
    try:
        want = expected(services)
        assert len(want) > 50
        assert read_all(reader, 17) == want
        # A question other than the one read ahead is answered too (a retry after a failure).
        assert reader.records(0, 5) == want[:5]
        assert reader.records(want[30][0], 5) == want[31:36]
        assert (reader.fallbacks, reader.restarts) == (0, 0)
    finally:
        reader.stop()


def test_a_killed_reader_loses_and_reorders_nothing_and_is_restarted(
    pg_settings: Settings, services: Services
) -> None:
    reader = ReaderProcessLog(pg_settings, OutboxLog(services.kitchen))
    reader.start()
    try:
        want = expected(services)
        assert read_all(reader, 10, kill_after=20) == want
        # Read in-process if the death showed on the pending read ahead, else restarted first.
        fallbacks = reader.fallbacks
        assert fallbacks <= 1
        assert reader.restarts == 1
        assert read_all(reader, 10) == want  # the new reader serves again
        assert (reader.fallbacks, reader.restarts) == (fallbacks, 1)
    finally:
        reader.stop()
    assert reader.pid is None
