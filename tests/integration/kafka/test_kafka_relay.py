"""The outbox relay against the real PostgreSQL and Kafka: delivery, wake-up, broker outage,
SIGKILL mid-batch, standby takeover, and a dropped database connection."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from relay_harness import (
    RelaySubprocess,
    Workload,
    active_relay,
    assert_delivered,
    end_offsets,
    read_topic,
    tracking,
    wait_until,
)

from kangaroo_paw.adapters.kafka.publisher import KafkaEventPublisher
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
from kangaroo_paw.entrypoints.relay import RelayProcess, relay_name
from kangaroo_paw.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.timeout(240)]


class InProcessRelay:
    """A RelayProcess on a thread of the test (so a test can give it its own publisher)."""

    def __init__(self, settings: Settings, publisher: KafkaEventPublisher | None = None) -> None:
        self.process = RelayProcess(settings, publisher=publisher)
        self.thread = threading.Thread(target=self.process.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.process.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "relay did not stop"


@pytest.fixture
def workload(relay_settings: Settings) -> Iterator[Workload]:
    work = Workload(relay_settings)
    yield work
    work.close()


@pytest.fixture
def relays(relay_settings: Settings, tmp_path: Path) -> Iterator[list[RelaySubprocess]]:
    started: list[RelaySubprocess] = []
    yield started
    for relay in started:
        relay.close()


def caught_up(settings: Settings, work: Workload) -> bool:
    return tracking(settings)[0] == work.head()


def outbox_status(settings: Settings) -> dict[str, object]:
    env = {
        "KP_DATABASE_URL": settings.database_url,
        "KP_POSTGRES_SCHEMA": settings.postgres_schema,
        "KP_KAFKA_TOPIC": settings.kafka_topic,
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "kangaroo_paw.entrypoints.cli", "outbox", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_every_stored_event_reaches_the_topic_once_in_per_order_order(
    relay_settings: Settings, workload: Workload
) -> None:
    workload.confirm(20)  # a backlog before the relay starts
    relay = InProcessRelay(relay_settings)
    try:
        workload.confirm(30)  # and orders flowing while it runs
        wait_until(lambda: caught_up(relay_settings, workload), 60, "the relay to catch up")
        status = outbox_status(relay_settings)
    finally:
        relay.stop()
    stored = workload.stored()
    assert len(stored) > 500
    assert_delivered(read_topic(relay_settings), stored, duplicates_allowed=False)
    assert status["position"] == status["head"] == workload.head()
    assert (status["lag"], status["attempts"], status["last_error"]) == (0, 0, None)
    assert status["active_relay"] is not None


def test_notify_wakes_the_relay_long_before_its_poll_interval(
    relay_settings: Settings, workload: Workload
) -> None:
    settings = Settings.from_env(
        **{**{f: getattr(relay_settings, f) for f in ("postgres_schema", "kafka_topic")}},
        relay_poll_secs=60.0,
    )
    relay = InProcessRelay(settings)
    try:
        wait_until(lambda: relay.process.role == "active", 30, "the relay to become active")
        time.sleep(0.5)  # it is now idle, waiting up to 60 s
        workload.confirm(1)
        started = time.monotonic()
        wait_until(lambda: caught_up(settings, workload), 10, "NOTIFY to wake the relay")
        assert time.monotonic() - started < 5
    finally:
        relay.stop()


@pytest.mark.slow
def test_broker_outage_backs_off_and_resumes_without_loss_or_reordering(
    relay_settings: Settings, workload: Workload
) -> None:
    """Fault injection: the relay reaches the broker through a TCP (HTTP CONNECT) proxy that
    the test takes down for 20 s — the shared broker itself is never stopped."""
    proxy = FaultProxy().up()
    publisher = KafkaEventPublisher(
        relay_settings.kafka_bootstrap,
        relay_settings.kafka_topic,
        timeout_secs=3.0,
        config={"proxy_url": proxy.url, "reconnect_backoff_max_ms": 1000},
    )
    relay = InProcessRelay(relay_settings, publisher)
    try:
        workload.confirm(10)
        wait_until(lambda: caught_up(relay_settings, workload), 60, "the relay to catch up")
        proxy.down()
        outage_ends = time.monotonic() + 20
        while time.monotonic() < outage_ends:  # orders keep flowing during the outage
            workload.confirm(1)
            time.sleep(0.5)
        position, attempts, last_error = tracking(relay_settings)
        assert position < workload.head()
        assert attempts >= 2, "the relay should have failed and backed off repeatedly"
        assert last_error
        proxy.up()
        workload.confirm(5)
        # Backoff after n failures is n² s: allow for the wait in progress.
        wait_until(lambda: caught_up(relay_settings, workload), 90, "the relay to resume")
        assert tracking(relay_settings)[1:] == (0, None)
    finally:
        relay.stop()
        proxy.down()
    assert_delivered(read_topic(relay_settings), workload.stored(), duplicates_allowed=True)


def test_sigkill_mid_batch_loses_nothing_and_duplicates_only_acknowledged_events(
    relay_settings: Settings, workload: Workload, relays: list[RelaySubprocess], tmp_path: Path
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    workload.confirm(300)  # ~6000 events: some 30 batches of 200
    first = RelaySubprocess(relay_settings, "first", tmp_path)
    relays.append(first)
    consumer = KafkaConsumer(bootstrap_servers=relay_settings.kafka_bootstrap, group_id=None)
    partitions = [TopicPartition(relay_settings.kafka_topic, p) for p in range(3)]

    def acknowledged() -> int:
        return sum(consumer.end_offsets(partitions).values())

    # Catch the relay with a batch acknowledged by the broker but not yet tracked: freeze it
    # (SIGSTOP) when the topic looks ahead of the position, confirm, then SIGKILL.
    caught = False
    with connect(relay_settings, "test") as conn:
        store = PostgresPositionStore(conn, relay_name(relay_settings))
        try:
            deadline = time.monotonic() + 90
            while not caught and time.monotonic() < deadline and first.alive():
                position = store.state().position
                if acknowledged() > position:
                    first.proc.send_signal(signal.SIGSTOP)
                    time.sleep(0.3)  # let requests already on the wire (a produce, an advance) land
                    position = store.state().position
                    caught = acknowledged() > position
                    if not caught:
                        first.proc.send_signal(signal.SIGCONT)
                elif position == workload.head():
                    workload.confirm(50)  # it got through the backlog: give it more
        finally:
            consumer.close()
    assert caught, "could not catch the relay between acknowledgement and tracking"
    first.kill()
    position = tracking(relay_settings)[0]
    acknowledged_before = end_offsets(relay_settings)
    in_flight = sum(acknowledged_before.values()) - position
    assert 0 < in_flight <= relay_settings.relay_batch_size
    assert position < workload.head()
    second = RelaySubprocess(relay_settings, "second", tmp_path)
    relays.append(second)
    workload.confirm(10)
    wait_until(lambda: caught_up(relay_settings, workload), 90, "the restarted relay")
    duplicates = assert_delivered(
        read_topic(relay_settings),
        workload.stored(),
        duplicates_allowed=True,
        acknowledged_before=acknowledged_before,
    )
    # Exactly the acknowledged-but-untracked tail of the killed batch is sent twice.
    assert duplicates == in_flight


def test_standby_takes_over_when_the_active_relay_dies(
    relay_settings: Settings, workload: Workload, relays: list[RelaySubprocess], tmp_path: Path
) -> None:
    a = RelaySubprocess(relay_settings, "a", tmp_path)
    relays.append(a)
    wait_until(lambda: active_relay(relay_settings) == a.name, 60, "relay a to be active")
    b = RelaySubprocess(relay_settings, "b", tmp_path)
    relays.append(b)
    workload.confirm(10)
    wait_until(lambda: caught_up(relay_settings, workload), 60, "relay a to publish")
    wait_until(lambda: "relay is standby" in b.log(), 60, "relay b to wait as standby")
    assert active_relay(relay_settings) == a.name
    a.kill()
    wait_until(lambda: active_relay(relay_settings) == b.name, 30, "relay b to take over")
    workload.confirm(10)
    wait_until(lambda: caught_up(relay_settings, workload), 60, "relay b to publish")
    # A graceful stop (SIGTERM) releases the lock and exits cleanly.
    assert b.terminate() == 0
    assert active_relay(relay_settings) is None
    assert_delivered(read_topic(relay_settings), workload.stored(), duplicates_allowed=True)


def test_relay_recovers_when_its_database_connections_are_terminated(
    relay_settings: Settings, workload: Workload, relays: list[RelaySubprocess], tmp_path: Path
) -> None:
    relay = RelaySubprocess(relay_settings, "dropped", tmp_path)
    relays.append(relay)
    wait_until(lambda: active_relay(relay_settings) == relay.name, 60, "the relay to start")
    workload.confirm(10)
    wait_until(lambda: caught_up(relay_settings, workload), 60, "the relay to publish")
    with connect(relay_settings, "test") as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (relay.name,),
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 2  # at least the lock/tracking session and the LISTEN session
    workload.confirm(10)
    wait_until(lambda: caught_up(relay_settings, workload), 60, "the relay to recover")
    assert relay.alive()
    wait_until(lambda: active_relay(relay_settings) == relay.name, 30, "the lock retaken")
    assert "lost its database session" in relay.log() or "LISTEN" in relay.log()
    assert_delivered(read_topic(relay_settings), workload.stored(), duplicates_allowed=True)
