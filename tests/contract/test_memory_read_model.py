"""InMemoryReadModel against the ReadModel contract."""

from __future__ import annotations

from contract.read_model_contract import ReadModelContract
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.ports.read_model import ReadModel


class TestInMemoryReadModel(ReadModelContract):
    def make_read_model(self) -> ReadModel:
        return InMemoryReadModel()
