"""The allocator and the ready queue."""

from __future__ import annotations

from litestar import Controller, get, post

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep, Limit
from kangaroo_paw.adapters.http.schemas import AllocationRun, Queue


class AllocatorController(Controller):
    """Run allocation passes on demand."""

    path = "/api/v1/allocator"
    tags = ["allocation"]

    @post(
        "/run-once",
        operation_id="runAllocatorOnce",
        status_code=200,
        sync_to_thread=True,
        responses=responses(503),
    )
    def run_once(self, kitchen: KitchenDep) -> AllocationRun:
        """Run one allocation pass: what was assigned and what stayed blocked, by reason."""
        return present.allocation(kitchen.allocate())


class QueueController(Controller):
    """The ready queue in pick order."""

    path = "/api/v1/queue"
    tags = ["allocation"]

    @get("/", operation_id="getQueue", sync_to_thread=True, responses=responses(400, 503))
    def queue(self, kitchen: KitchenDep, limit: Limit = 50) -> Queue:
        """Ready tasks in pick order with their current aged priority."""
        return Queue(tasks=[present.queued(q) for q in kitchen.queue_view(limit)])
