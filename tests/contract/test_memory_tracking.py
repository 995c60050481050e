"""InMemoryPositionStore against the PositionStore contract."""

from __future__ import annotations

from contract.tracking_contract import PositionStoreContract
from kangaroo_paw.adapters.memory.tracking import InMemoryPositionStore
from kangaroo_paw.ports.tracking import PositionStore


class TestInMemoryPositionStore(PositionStoreContract):
    def make_store(self) -> PositionStore:
        return InMemoryPositionStore()
