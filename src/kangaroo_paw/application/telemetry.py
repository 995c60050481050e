"""What the kitchen tells the ``Metrics`` port, derived where the work is done.

Orders confirmed and ticket times are read off what a save records, so they are counted
once, by the process that made the change, however the change came about (a confirm, a
completion by hand or by a timer, a future command). The allocation pass and the completion
timer report from their commands."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from kangaroo_paw.application.views import AllocationResult
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.ports.metrics import Metrics

log = logging.getLogger(__name__)

P = ParamSpec("P")


class Instrumented(Protocol):
    """An application that carries a ``Metrics`` port."""

    metrics: Metrics


App = TypeVar("App", bound=Instrumented)


def report_saved(metrics: Metrics, saved: Iterable[object], recorded: Iterable[Any]) -> None:
    """Report what one committed save recorded: new orders, and the ticket time of every
    order it completed (``saved`` are the aggregates handed to the save, ``recorded`` its
    recordings, each with a ``domain_event``). Never raises: a save is already committed."""
    try:
        orders = {o.id: o for o in saved if isinstance(o, Order)}
        for recording in recorded:
            event = recording.domain_event
            if isinstance(event, Order.Created):
                metrics.order_confirmed()
            elif (
                isinstance(event, Order.StatusChanged) and event.new_status == OrderStatus.COMPLETED
            ):
                order = orders.get(event.originator_id)
                if order is not None:
                    metrics.ticket_completed((event.changed_at - order.created_at).total_seconds())
    except Exception:  # a metric must never undo or fail a committed save
        log.exception("reporting a save's metrics failed")


def reports_pass(
    method: Callable[Concatenate[App, P], AllocationResult],
) -> Callable[Concatenate[App, P], AllocationResult]:
    """Report an allocation command's duration (retries included) and what it left blocked;
    a pass that raised reports nothing."""

    @functools.wraps(method)
    def run(self: App, /, *args: P.args, **kwargs: P.kwargs) -> AllocationResult:
        started = time.perf_counter()
        result = method(self, *args, **kwargs)
        self.metrics.allocation_pass(time.perf_counter() - started, result.blocked)
        return result

    return run
