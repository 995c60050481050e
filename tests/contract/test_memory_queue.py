"""InMemoryReadyQueue against the ReadyQueue contract."""

from __future__ import annotations

from contract.queue_contract import ReadyQueueContract
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.ports.queue import ReadyQueue


class TestInMemoryReadyQueue(ReadyQueueContract):
    def make_queue(self) -> ReadyQueue:
        return InMemoryReadyQueue()
