"""Metrics port: what the kitchen reports about its own work as it happens.

The application and the adapters call these hooks at the moment something happens (an order
recorded, a pass finished, a timer fired); an adapter turns them into Prometheus series. The
default, ``NO_METRICS``, drops everything, so a kitchen without a metrics adapter (the
simulator, most tests, the library) pays nothing and imports nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Metrics(Protocol):
    """Hooks called where the work is done; each must be cheap and must never raise."""

    def order_confirmed(self) -> None:
        """A new order was recorded (an idempotent repeat is not a new order)."""
        ...

    def ticket_completed(self, secs: float) -> None:
        """An order reached COMPLETED ``secs`` after it was confirmed."""
        ...

    def allocation_pass(self, secs: float, blocked: Mapping[str, int]) -> None:
        """An allocation pass ran for ``secs``; ``blocked`` counts the ready tasks it could
        not place, by reason (``counter_full``, ``no_staff``, ...)."""
        ...

    def timer_fired(self, kind: str, lateness_secs: float) -> None:
        """A timer of ``kind`` did its work ``lateness_secs`` after it was due."""
        ...

    def workflow_started(self, workflow: str) -> None:
        """A durable workflow (a timer) was started; a repeat of an existing one is not."""
        ...


class NoMetrics:
    """Drops every report."""

    def order_confirmed(self) -> None:
        return None

    def ticket_completed(self, secs: float) -> None:
        return None

    def allocation_pass(self, secs: float, blocked: Mapping[str, int]) -> None:
        return None

    def timer_fired(self, kind: str, lateness_secs: float) -> None:
        return None

    def workflow_started(self, workflow: str) -> None:
        return None


NO_METRICS: Metrics = NoMetrics()
