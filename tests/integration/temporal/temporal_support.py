"""Helpers for the Temporal tests: a worker on a task queue of the test's own, in this
process, bound to whatever handlers the test gives it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from kangaroo_paw.adapters.temporal.activities import CatchUp
from kangaroo_paw.adapters.temporal.loop import LoopThread
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler
from kangaroo_paw.adapters.temporal.worker import KitchenWorker
from kangaroo_paw.ports.scheduler import TimerHandlers
from kangaroo_paw.settings import Settings


class TemporalHarness:
    """One client on a loop thread; a unique kitchen name and task queue per test, so tests
    sharing the dev server never see each other's workflows."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.loop = LoopThread("kp-test-temporal")
        self.client: Client = self.loop.run(
            Client.connect(
                self.settings.temporal_address, namespace=self.settings.temporal_namespace
            ),
            30,
        )
        suffix = uuid.uuid4().hex[:10]
        self.kitchen = f"test-{suffix}"
        self.task_queue = f"kp-test-{suffix}"
        self._workers: list[tuple[asyncio.Event, Any]] = []

    def scheduler(self, rpc_timeout_secs: float = 10.0) -> TemporalScheduler:
        return TemporalScheduler(
            self.client,
            kitchen=self.kitchen,
            task_queue=self.task_queue,
            loop=self.loop,
            rpc_timeout_secs=rpc_timeout_secs,
            owns_loop=False,
        )

    def start_worker(self, handlers: TimerHandlers, catch_up: CatchUp | None = None) -> None:
        stop = asyncio.Event()

        async def run() -> None:
            await KitchenWorker(self.client, self.task_queue, handlers, catch_up).run_until(stop)

        self._workers.append((stop, self.loop.submit(run())))

    def stop_workers(self) -> None:
        for stop, future in self._workers:
            self.loop.loop.call_soon_threadsafe(stop.set)
            future.result(60)
        self._workers.clear()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return self.loop.run(coro, timeout)

    def status(self, workflow_id: str) -> WorkflowExecutionStatus | None:
        description = self.run(self.client.get_workflow_handle(workflow_id).describe())
        return description.status

    def result(self, workflow_id: str, timeout: float = 30) -> Any:
        return self.run(self.client.get_workflow_handle(workflow_id).result(), timeout)

    def list_ids(self, query: str) -> list[str]:
        async def collect() -> list[str]:
            return [w.id async for w in self.client.list_workflows(query)]

        return list(self.run(collect()))

    def close(self) -> None:
        try:
            self.stop_workers()
            self.run(self._end_flows())
        finally:
            self.loop.stop()

    async def _end_flows(self) -> None:
        """Terminate what still runs on this test's queue (the allocation workflow)."""
        query = f"TaskQueue = '{self.task_queue}' AND ExecutionStatus = 'Running'"
        async for flow in self.client.list_workflows(query):
            handle = self.client.get_workflow_handle(flow.id, run_id=flow.run_id)
            await handle.terminate(reason="test finished")


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(poll)
