"""The worker process: the Temporal worker hosting the kitchen's workflows and activities,
with the Kitchen on PostgreSQL and the Redis ready queue behind the activities."""

from __future__ import annotations

import asyncio
import logging
import threading

from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.adapters.temporal.activities import queue_catch_up
from kangaroo_paw.adapters.temporal.worker import KitchenWorker
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition import build_services
from kangaroo_paw.entrypoints.metrics import export
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

CONNECT_RETRY_MAX_SECS = 10.0


class WorkerProcess:
    """Runs until ``stop()`` (thread-safe, callable from a signal handler); in-flight
    activities get the graceful-shutdown window to finish."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stopped = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def stop(self) -> None:
        self._stopped.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def run(self) -> None:
        services = build_services(self.settings)
        metrics = PrometheusMetrics()
        services.kitchen.metrics = metrics  # passes, timer lateness, tickets completed here
        stop_metrics = export(self.settings, metrics)
        try:
            asyncio.run(self._serve(services.kitchen))
        finally:
            stop_metrics()
            services.close()

    async def _serve(self, kitchen: Kitchen) -> None:
        from temporalio.client import Client

        settings = self.settings
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stopped.is_set():
            return
        attempt = 0
        while True:
            try:
                client = await Client.connect(
                    settings.temporal_address, namespace=settings.temporal_namespace
                )
                break
            except (RuntimeError, OSError, TimeoutError) as exc:  # what a failed connect raises
                attempt += 1
                delay = min(float(attempt), CONNECT_RETRY_MAX_SECS)
                log.warning("temporal unreachable (%r); retry in %.0f s", exc, delay)
                try:
                    await asyncio.wait_for(self._stop.wait(), delay)
                    return
                except TimeoutError:
                    continue
        worker = KitchenWorker(
            client, settings.temporal_task_queue, kitchen, queue_catch_up(kitchen)
        )
        log.info(
            "worker for kitchen %s on task queue %s", settings.kitchen, settings.temporal_task_queue
        )
        await worker.run_until(self._stop)
