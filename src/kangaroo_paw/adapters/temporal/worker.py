"""The Temporal worker: hosts the kitchen's workflows and activities on one task queue."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from kangaroo_paw.adapters.temporal.activities import CatchUp, KitchenActivities
from kangaroo_paw.adapters.temporal.workflows import WORKFLOWS
from kangaroo_paw.ports.scheduler import TimerHandlers

log = logging.getLogger(__name__)

ACTIVITY_THREADS = 8
# In-flight activities get this long to finish on SIGTERM before they are cancelled (and
# retried elsewhere: every activity is idempotent).
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
# A workflow task waiting for a dead worker's sticky queue moves to the shared queue after
# this long (the SDK default is 10 s).
STICKY_TIMEOUT = timedelta(seconds=3)


class KitchenWorker:
    """One worker process's Temporal worker, bound to one kitchen's handlers."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        handlers: TimerHandlers,
        catch_up: CatchUp | None = None,
        *,
        activity_threads: int = ACTIVITY_THREADS,
    ) -> None:
        self.task_queue = task_queue
        self.activities = KitchenActivities(handlers, catch_up)
        self._executor = ThreadPoolExecutor(activity_threads, thread_name_prefix="kp-activity")
        self.worker = Worker(
            client,
            task_queue=task_queue,
            workflows=list(WORKFLOWS),
            activities=self.activities.activities(),
            activity_executor=self._executor,
            max_concurrent_activities=activity_threads,
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        )

    async def run_until(self, stop: asyncio.Event) -> None:
        """Poll and run tasks until ``stop`` is set, then shut down gracefully."""
        async with self.worker:
            log.info("worker polling task queue %s", self.task_queue)
            await stop.wait()
            log.info("worker stopping: finishing in-flight activities")
        self._executor.shutdown(wait=True, cancel_futures=True)
        log.info("worker stopped")
