"""EventPublisher port: the outbox transport that carries envelopes out of the process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kangaroo_paw.ports.envelope import Envelope


class EventPublisher(Protocol):
    """Publishes envelopes in the given order; returns only once the transport acknowledged
    every one of them, and raises if any was not (the caller then retries the batch)."""

    def publish(self, envelopes: Sequence[Envelope]) -> None: ...

    def close(self) -> None: ...
