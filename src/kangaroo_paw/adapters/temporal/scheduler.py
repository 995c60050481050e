"""TemporalScheduler: the Scheduler port over Temporal, for the Kafka consumer.

The port is synchronous (the consumer loop is), the Temporal client is asyncio: the client
lives on an event loop of its own in a daemon thread, and every port call waits for its RPC,
so when a call returns Temporal has durably recorded the request or timer (the consumer
commits its offset only then)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from kangaroo_paw.adapters.temporal.common import (
    ALLOCATION_WORKFLOW,
    ASSIGNMENT_TIMEOUT_WORKFLOW,
    AUTO_COMPLETE_WORKFLOW,
    RELEASE_WORKFLOW,
    REQUEST_SIGNAL,
    AllocationState,
    ReleaseInput,
    TimerInput,
    allocation_workflow_id,
    completion_workflow_id,
    release_workflow_id,
    timeout_workflow_id,
)
from kangaroo_paw.adapters.temporal.loop import LoopThread
from kangaroo_paw.ports.metrics import NO_METRICS, Metrics
from kangaroo_paw.ports.scheduler import Scheduler
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

RPC_TIMEOUT_SECS = 10.0
MAX_IN_FLIGHT = 32  # concurrent RPCs of a deferred scheduler
CONNECT_TIMEOUT_SECS = 30.0

_TRANSIENT_STATUSES = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.INTERNAL,
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is Temporal (or the network) being unavailable — worth waiting out —
    rather than something wrong with the event being handled."""
    if isinstance(exc, RPCError):
        return exc.status in _TRANSIENT_STATUSES
    return isinstance(exc, TimeoutError | concurrent.futures.TimeoutError | ConnectionError)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


class TemporalScheduler(Scheduler):
    """Allocation requests signal-with-start the kitchen's ``AllocationWorkflow``; timers start
    one workflow each under a deterministic id. A timer whose id already exists (running or
    closed) is the same timer again: rejected by Temporal, and that counts as success.

    By default each call waits for its RPC. With ``deferred=True`` calls are sent at once,
    concurrently (at most ``MAX_IN_FLIGHT``), and ``wait_all()`` waits for every one sent so
    far, raising the first failure: the consumer sends a whole batch's calls in parallel and
    waits once, before it commits."""

    def __init__(
        self,
        client: Client,
        *,
        kitchen: str,
        task_queue: str,
        loop: LoopThread,
        rpc_timeout_secs: float = RPC_TIMEOUT_SECS,
        owns_loop: bool = True,
        deferred: bool = False,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.client = client
        self.metrics = metrics  # counts the timer workflows started
        self.deferred = deferred
        self.kitchen = kitchen
        self.task_queue = task_queue
        self.rpc_timeout_secs = rpc_timeout_secs
        self._loop = loop
        self._owns_loop = owns_loop  # close() stops the loop only if it is ours
        self.timers_started = 0  # diagnostics
        self.duplicates = 0
        self._in_flight: list[concurrent.futures.Future[None]] = []
        self._slots: asyncio.Semaphore | None = None  # created on the loop, on first use

    @classmethod
    def connect(
        cls,
        address: str,
        *,
        namespace: str = "default",
        kitchen: str,
        task_queue: str,
        rpc_timeout_secs: float = RPC_TIMEOUT_SECS,
        deferred: bool = False,
        metrics: Metrics = NO_METRICS,
    ) -> TemporalScheduler:
        loop = LoopThread("kp-temporal-client")
        try:
            client = loop.run(Client.connect(address, namespace=namespace), CONNECT_TIMEOUT_SECS)
        except BaseException:
            loop.stop()
            raise
        return cls(
            client,
            kitchen=kitchen,
            task_queue=task_queue,
            loop=loop,
            rpc_timeout_secs=rpc_timeout_secs,
            deferred=deferred,
            metrics=metrics,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> TemporalScheduler:
        return cls.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            kitchen=settings.kitchen,
            task_queue=settings.temporal_task_queue,
            **options,
        )

    # -- port ---------------------------------------------------------------------------------

    def request_allocation(self) -> None:
        self._call(self._signal_allocation())

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        timer = TimerInput(task_id=str(task_id), due_at=_iso(due_at), start_no=start_no)
        workflow_id = completion_workflow_id(self.kitchen, task_id, start_no)
        summary = f"complete start #{start_no}"
        self._call(self._start_timer(AUTO_COMPLETE_WORKFLOW, workflow_id, timer, summary))

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        timer = TimerInput(task_id=str(task_id), due_at=_iso(deadline), assignment_no=assignment_no)
        workflow_id = timeout_workflow_id(self.kitchen, task_id, assignment_no)
        summary = f"requeue #{assignment_no} if stale task {task_id} at {timer.due_at}"
        self._call(self._start_timer(ASSIGNMENT_TIMEOUT_WORKFLOW, workflow_id, timer, summary))

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        timer = ReleaseInput(order_id=str(order_id), due_at=_iso(release_at))
        ms = round(release_at.timestamp() * 1000)
        workflow_id = release_workflow_id(self.kitchen, order_id, ms)
        summary = f"release order {order_id} at {timer.due_at}"
        self._call(self._start_timer(RELEASE_WORKFLOW, workflow_id, timer, summary))

    def close(self) -> None:
        if self._owns_loop:
            self._loop.stop()

    def wait_all(self) -> None:
        """Wait for every deferred call sent so far; raise the first failure (after all of
        them finished, so none is left running behind the caller's back)."""
        in_flight, self._in_flight = self._in_flight, []
        failure: Exception | None = None
        for future in in_flight:
            try:
                future.result(self.rpc_timeout_secs * 3)
            except Exception as exc:  # noqa: BLE001 - collected, re-raised below
                future.cancel()
                failure = failure or exc
        if failure is not None:
            raise failure

    # -- calls --------------------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        if self.deferred:
            self._in_flight.append(self._loop.submit(self._limited(coro)))
            return
        # The loop's own timeout is a backstop behind the RPC timeout.
        self._loop.run(coro, self.rpc_timeout_secs * 3)

    async def _limited(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        async with self._slots:
            await coro

    def _rpc_timeout(self) -> timedelta:
        return timedelta(seconds=self.rpc_timeout_secs)

    async def _signal_allocation(self) -> None:
        await self.client.start_workflow(
            ALLOCATION_WORKFLOW,
            AllocationState(kitchen=self.kitchen, pending=False),
            id=allocation_workflow_id(self.kitchen),
            task_queue=self.task_queue,
            start_signal=REQUEST_SIGNAL,
            # A run that ended (failed, terminated by an operator) is replaced by a new one.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"allocation passes of kitchen {self.kitchen}",
            rpc_timeout=self._rpc_timeout(),
        )

    async def _start_timer(
        self, workflow: str, workflow_id: str, timer: TimerInput | ReleaseInput, summary: str
    ) -> None:
        try:
            await self.client.start_workflow(
                workflow,
                timer,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                static_summary=summary,
                rpc_timeout=self._rpc_timeout(),
            )
        except WorkflowAlreadyStartedError:
            self.duplicates += 1
            log.debug("timer %s exists already (a redelivered event)", workflow_id)
            return
        self.timers_started += 1
        self.metrics.workflow_started(workflow)
