"""TemporalScheduler: the Scheduler port over Temporal, for the Kafka consumer.

The port is synchronous (the consumer loop is), the Temporal client is asyncio: the client
lives on an event loop of its own in a daemon thread, and every port call waits for its RPC,
so when a call returns Temporal has durably recorded the request or timer (the consumer
commits its offset only then)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from kangaroo_paw.adapters.temporal.common import (
    ALLOCATION_WORKFLOW,
    ARM_SIGNAL,
    REQUEST_SIGNAL,
    TIMER_SHARD_WORKFLOW,
    AllocationState,
    ShardTimer,
    TimerShardState,
    allocation_workflow_id,
    timer_shard,
    timer_shard_workflow_id,
)
from kangaroo_paw.adapters.temporal.loop import LoopThread
from kangaroo_paw.ports.metrics import NO_METRICS, Metrics
from kangaroo_paw.ports.scheduler import Scheduler, Timer
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


def _started(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether a signal-with-start started a new run (rather than signalling the open one).
    The SDK (1.35) keeps the server's answer only on a private attribute; without it, the
    start is not counted (a metric, never behaviour)."""
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", False))


def _shard_timer(timer: Timer) -> ShardTimer:
    return ShardTimer(
        id=timer.id,
        kind=timer.kind,
        subject=str(timer.subject),
        number=timer.number,
        due_at=_iso(timer.due_at),
    )


class TemporalScheduler(Scheduler):
    """Allocation requests signal-with-start the kitchen's ``AllocationWorkflow``; timers
    signal-with-start the ``TimerShardWorkflow`` of their task's shard (``timer_shards`` of
    them), one signal per shard and call however many timers it carries. A timer id the
    shard holds or fired lately is the same timer again (a redelivered event): ignored there.

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
        timer_shards: int = 4,
    ) -> None:
        self.client = client
        self.metrics = metrics  # counts the timer shard workflows started
        self.deferred = deferred
        self.kitchen = kitchen
        self.task_queue = task_queue
        self.rpc_timeout_secs = rpc_timeout_secs
        self._loop = loop
        self._owns_loop = owns_loop  # close() stops the loop only if it is ours
        self.timer_shards = timer_shards
        self.signals_sent = 0  # diagnostics: arm signals, and the timers they carried
        self.timers_sent = 0
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
        timer_shards: int = 4,
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
            timer_shards=timer_shards,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> TemporalScheduler:
        return cls.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            kitchen=settings.kitchen,
            task_queue=settings.temporal_task_queue,
            timer_shards=settings.temporal_timer_shards,
            **options,
        )

    # -- port ---------------------------------------------------------------------------------

    def request_allocation(self) -> None:
        self._call(self._signal_allocation())

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self.schedule_timers([Timer.completion(task_id, start_no, due_at)])

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self.schedule_timers([Timer.timeout(task_id, assignment_no, deadline)])

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        self.schedule_timers([Timer.release(order_id, release_at)])

    def schedule_timers(self, timers: Sequence[Timer]) -> None:
        """One signal-with-start per shard touched, carrying all of that shard's timers."""
        by_shard: dict[int, list[ShardTimer]] = {}
        for timer in timers:
            shard = timer_shard(timer.subject, self.timer_shards)
            by_shard.setdefault(shard, []).append(_shard_timer(timer))
        for shard, armed in sorted(by_shard.items()):
            self._call(self._arm(shard, armed))

    def open_shards(self) -> None:
        """Start every timer shard workflow not running yet (an empty signal-with-start): a
        process calls this once at start, so that arming a timer is a signal to a workflow
        already open, never a workflow start on the hot path."""
        for shard in range(self.timer_shards):
            self._call(self._arm(shard, []))

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

    async def _arm(self, shard: int, timers: list[ShardTimer]) -> None:
        handle = await self.client.start_workflow(
            TIMER_SHARD_WORKFLOW,
            TimerShardState(kitchen=self.kitchen, shard=shard),
            id=timer_shard_workflow_id(self.kitchen, shard),
            task_queue=self.task_queue,
            start_signal=ARM_SIGNAL,
            start_signal_args=[timers],
            # A run that ended (failed, terminated by an operator) is replaced by a new one.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"timers of shard {shard} of kitchen {self.kitchen}",
            rpc_timeout=self._rpc_timeout(),
        )
        self.signals_sent += 1
        self.timers_sent += len(timers)
        if _started(handle):
            self.metrics.workflow_started(TIMER_SHARD_WORKFLOW)
