"""The PositionStore contract: a durable, forward-only position with a failure record.

Subclass and override ``make_store()``, or the ``store`` fixture when it needs other fixtures::

    class TestPostgresPositionStore(PositionStoreContract):
        @pytest.fixture
        def store(self, conn) -> PositionStore:
            return PostgresPositionStore(conn, "kafka:test")
"""

from __future__ import annotations

import pytest

from kangaroo_paw.ports.tracking import PositionStore


class PositionStoreContract:
    """Starts at 0, never moves backwards, counts consecutive failures until an advance."""

    def make_store(self) -> PositionStore:
        raise NotImplementedError("a PositionStoreContract subclass must provide a store")

    @pytest.fixture
    def store(self) -> PositionStore:
        return self.make_store()

    def test_a_new_store_is_at_zero_without_failures(self, store: PositionStore) -> None:
        state = store.state()
        assert (store.get(), state.position, state.attempts, state.last_error) == (0, 0, 0, None)

    def test_the_position_only_moves_forward(self, store: PositionStore) -> None:
        store.advance(10)
        store.advance(7)
        assert store.get() == 10
        store.advance(12)
        assert store.get() == 12

    def test_failures_are_counted_and_the_newest_error_kept(self, store: PositionStore) -> None:
        store.advance(3)
        assert store.record_failure("first") == 1
        assert store.record_failure("second") == 2
        state = store.state()
        assert (state.position, state.attempts, state.last_error) == (3, 2, "second")

    def test_an_advance_clears_the_failure_record(self, store: PositionStore) -> None:
        store.record_failure("broker down")
        store.advance(5)
        state = store.state()
        assert (state.position, state.attempts, state.last_error) == (5, 0, None)
