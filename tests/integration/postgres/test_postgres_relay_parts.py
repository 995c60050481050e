"""The relay's PostgreSQL parts: the tracking row, the advisory lock and the LISTEN wake-up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from contract.tracking_contract import PositionStoreContract
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.adapters.postgres.leadership import AdvisoryLock, LeadershipLost, lock_holder
from kangaroo_paw.adapters.postgres.listen import PostgresNotificationListener
from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import build_services
from kangaroo_paw.ports.tracking import PositionStore
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres


def test_position_store_is_forward_only_and_records_failures(pg_settings: Settings) -> None:
    with connect(pg_settings, "test") as conn:
        store = PostgresPositionStore(conn, "kafka:t")
        assert store.get() == 0
        store.advance(10)
        store.advance(7)  # never backwards
        assert store.get() == 10
        assert store.record_failure("KafkaTimeoutError: no broker") == 1
        assert store.record_failure("KafkaTimeoutError: still none") == 2
        state = store.state()
        assert (state.position, state.attempts, state.last_error) == (
            10,
            2,
            "KafkaTimeoutError: still none",
        )
        store.advance(12)
        state = store.state()
        assert (state.position, state.attempts, state.last_error) == (12, 0, None)
        assert state.updated_at is not None
        # Another relay name is another row.
        assert PostgresPositionStore(conn, "kafka:other").get() == 0
    with connect(pg_settings, "test") as conn:
        assert PostgresPositionStore(conn, "kafka:t").get() == 12


def test_only_one_holder_and_the_standby_takes_over_when_it_dies(pg_settings: Settings) -> None:
    active = AdvisoryLock(lambda: connect(pg_settings, "lock-a"), "relay test")
    standby = AdvisoryLock(lambda: connect(pg_settings, "lock-b"), "relay test")
    other = AdvisoryLock(lambda: connect(pg_settings, "lock-c"), "another relay")
    try:
        assert active.try_acquire()
        assert not standby.try_acquire()
        assert not standby.try_acquire()
        assert other.try_acquire()  # a different name is a different lock
        active.check()
        with connect(pg_settings, "test") as conn:
            holder = lock_holder(conn, "relay test")
            assert holder is not None
            assert holder["application_name"] == "kangaroo-paw lock-a"
            # The holder's session dies (crash, network, pg_terminate_backend).
            conn.execute("SELECT pg_terminate_backend(%s)", (holder["pid"],))
        with pytest.raises(LeadershipLost):
            active.check()
        assert standby.try_acquire()
        with pytest.raises(LeadershipLost):
            _ = active.connection
        assert not active.try_acquire()  # reconnects, but b holds it now
        standby.release()
        assert active.try_acquire()
    finally:
        for lock in (active, standby, other):
            lock.release()
    with connect(pg_settings, "test") as conn:
        assert lock_holder(conn, "relay test") is None


def test_listener_wakes_on_every_save_and_reconnects(pg_settings: Settings) -> None:
    services = build_services(pg_settings, with_queue=False)
    listener = PostgresNotificationListener(lambda: connect(pg_settings, "listen-test"))
    try:
        listener.start()
        assert listener.connected.wait(10)
        # The channel is database-wide: other schemas' writers may wake it too, harmlessly.
        listener.wait(0.5)
        seed_demo_kitchen(services.kitchen)
        assert listener.wait(5)
        with connect(pg_settings, "test") as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'kangaroo-paw listen-test'"
                " AND datname = current_database()"
            )
        for _ in range(100):
            if listener.reconnects:
                break
            listener.wait(0.1)
        assert listener.reconnects >= 1
        assert listener.connected.wait(10)
        listener.wait(0.5)
        services.kitchen.confirm_order({"dip_cup": 1}, "listen-1")
        assert listener.wait(5)
    finally:
        listener.stop()
        services.close()


class TestPostgresPositionStoreContract(PositionStoreContract):
    @pytest.fixture
    def store(self, pg_settings: Settings) -> Iterator[PositionStore]:
        with connect(pg_settings, "test") as conn:
            yield PostgresPositionStore(conn, f"contract:{uuid.uuid4().hex[:8]}")
