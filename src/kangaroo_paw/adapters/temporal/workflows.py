"""The kitchen's workflows. Sandbox-safe: they keep time with ``workflow.now``/durable timers
and touch aggregates only through activities (referred to by name, so this module imports no
application code)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

from kangaroo_paw.adapters.temporal.common import (
    ALLOCATE_ACTIVITY,
    ALLOCATION_ERROR_PAUSE,
    ALLOCATION_WORKFLOW,
    ARM_SIGNAL,
    ASSIGNMENT_TIMEOUT_WORKFLOW,
    AUTO_COMPLETE_ACTIVITY,
    AUTO_COMPLETE_WORKFLOW,
    DROP_TIMEOUTS_ON_START,
    FIRE_BATCH,
    FIRE_TIMERS_ACTIVITY,
    FIRED_REMEMBERED,
    HISTORY_EVENTS_PER_RUN,
    PROJECTION_LAG_PAUSE,
    RELEASE_DUE_ACTIVITY,
    RELEASE_WORKFLOW,
    REQUEST_SIGNAL,
    REQUEUE_STALE_ACTIVITY,
    TIMER_BACKOFF_MAX_SECS,
    TIMER_MAX_ATTEMPTS,
    TIMER_SHARD_WORKFLOW,
    AllocationState,
    FireOutcome,
    PassOutcome,
    ReleaseInput,
    ShardTimer,
    TimerInput,
    TimerShardState,
    allocate_options,
    fire_options,
    timer_options,
)


@workflow.defn(name=ALLOCATION_WORKFLOW)
class AllocationWorkflow:
    """One per kitchen. Requests (signals) only raise a flag: a pass serves every request
    that arrived before it began, so a burst of events costs one pass plus at most one more
    for what arrived while it ran — never a pass per event. Without requests it still runs a
    pass every ``sweep_secs`` (a durable timer)."""

    def __init__(self) -> None:
        self._requested = False
        self._in_pass = False
        self._signals = 0
        self._passes = 0

    @workflow.signal(name=REQUEST_SIGNAL)
    def request(self) -> None:
        self._requested = True
        self._signals += 1

    @workflow.query(name="status")
    def status(self) -> dict[str, int | bool]:
        """Signals seen and passes run by this run; whether a request waits, a pass runs."""
        return {
            "signals": self._signals,
            "passes": self._passes,
            "pending": self._requested,
            "in_pass": self._in_pass,
        }

    @workflow.run
    async def run(self, state: AllocationState) -> None:
        self._requested = self._requested or state.pending
        while True:
            with contextlib.suppress(TimeoutError):  # the sweep: a pass without a request
                await workflow.wait_condition(lambda: self._requested, timeout=state.sweep_secs)
            self._requested = False  # everything signalled so far is served by this pass
            self._in_pass = True
            outcome = await self._pass()
            self._in_pass = False
            self._passes += 1
            if outcome is None:
                await workflow.sleep(ALLOCATION_ERROR_PAUSE, summary="allocation failed")
                self._requested = True
            elif not outcome.caught_up:
                # The ready queue lagged the store: tasks made ready meanwhile may be missing
                # from it, and nobody else would ask again for them.
                await workflow.sleep(PROJECTION_LAG_PAUSE, summary="queue projection lagging")
                self._requested = True
            if self._should_continue_as_new(state.passes_per_run):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    AllocationState(
                        kitchen=state.kitchen,
                        pending=self._requested,
                        passes=state.passes + self._passes,
                        passes_per_run=state.passes_per_run,
                        sweep_secs=state.sweep_secs,
                    )
                )

    async def _pass(self) -> PassOutcome | None:
        try:
            outcome: PassOutcome = await workflow.execute_activity(
                ALLOCATE_ACTIVITY, result_type=PassOutcome, **allocate_options()
            )
        except ActivityError:
            workflow.logger.exception("allocation pass failed after its retries")
            return None
        return outcome

    def _should_continue_as_new(self, passes_per_run: int) -> bool:
        return self._passes >= passes_per_run or _history_full(HISTORY_EVENTS_PER_RUN)


def _moment(due_at: str) -> datetime:
    return datetime.fromisoformat(due_at.replace("Z", "+00:00"))


@workflow.defn(name=TIMER_SHARD_WORKFLOW)
class TimerShardWorkflow:
    """One per shard of a kitchen's tasks (``timers-<k>@<kitchen>``), always open: holds the
    shard's pending timers, armed by ``arm_timers`` signals (signal-with-start, one per
    consumer batch and shard), sleeps until the earliest is due — a signal wakes it to look
    again — and fires every due timer through one ``kitchen.fire_timers`` activity per
    ``FIRE_BATCH``. A timer id pending or fired lately is ignored (a redelivered event); a
    timer whose command failed is re-armed with backoff, the others of its batch are done.
    Continues as new, carrying pending timers and fired ids, before its history grows large."""

    def __init__(self) -> None:
        self._pending: dict[str, ShardTimer] = {}
        self._fired: dict[str, None] = {}  # insertion-ordered: the oldest are forgotten first
        self._armed = False  # a signal came since the last look
        self._signals = 0
        self._batches = 0

    @workflow.signal(name=ARM_SIGNAL)
    def arm(self, timers: list[ShardTimer]) -> None:
        self._signals += 1
        for timer in timers:
            if timer.id not in self._fired and timer.id not in self._pending:
                self._pending[timer.id] = timer
            if timer.kind == "complete" and workflow.patched(DROP_TIMEOUTS_ON_START):
                self._drop_timeouts(timer.subject)
        self._armed = True

    def _drop_timeouts(self, task: str) -> None:
        """A task's start settles its assignment timeouts (one only requeues a task still
        ASSIGNED under its assignment): forget them now, as fired, rather than run a
        command that does nothing when they come due. A task's timers share its shard."""
        moot = [t.id for t in self._pending.values() if t.kind == "timeout" and t.subject == task]
        for timer_id in moot:
            del self._pending[timer_id]
            self._remember(timer_id)

    def _remember(self, timer_id: str) -> None:
        self._fired[timer_id] = None
        while len(self._fired) > FIRED_REMEMBERED:
            del self._fired[next(iter(self._fired))]

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        """Pending timers by id (their due times), the fired ids remembered (oldest first),
        signals and batches of this run."""
        return {
            "pending": {t.id: t.due_at for t in self._pending.values()},
            "fired": list(self._fired),
            "signals": self._signals,
            "batches": self._batches,
        }

    @workflow.run
    async def run(self, state: TimerShardState) -> None:
        # A start signal may have been handled before this method began: merge, not replace.
        for fired_id in state.fired:
            self._fired[fired_id] = None
            self._pending.pop(fired_id, None)
        for timer in state.pending:
            self._pending.setdefault(timer.id, timer)
        while True:
            if _history_full(state.history_per_run):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    TimerShardState(
                        kitchen=state.kitchen,
                        shard=state.shard,
                        pending=list(self._pending.values()),
                        fired=list(self._fired)[-FIRED_REMEMBERED:],
                        history_per_run=state.history_per_run,
                    )
                )
            due = self._due()
            if due:
                await self._fire(due)
                continue
            self._armed = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._armed, timeout=self._until_next())

    def _due(self) -> list[ShardTimer]:
        """The earliest ``FIRE_BATCH`` timers due now, earliest first."""
        now = workflow.now()
        due = [t for t in self._pending.values() if _moment(t.due_at) <= now]
        due.sort(key=lambda t: (_moment(t.due_at), t.id))
        return due[:FIRE_BATCH]

    def _until_next(self) -> float | None:
        """Seconds until the earliest pending timer (None: sleep until a signal)."""
        if not self._pending:
            return None
        earliest = min(_moment(t.due_at) for t in self._pending.values())
        return max(0.001, (earliest - workflow.now()).total_seconds())

    async def _fire(self, batch: list[ShardTimer]) -> None:
        self._batches += 1
        try:
            outcomes: list[FireOutcome] = await workflow.execute_activity(
                FIRE_TIMERS_ACTIVITY, batch, result_type=list[FireOutcome], **fire_options()
            )
        except ActivityError:
            workflow.logger.exception("firing %d timer(s) failed after its retries", len(batch))
            outcomes = []
        by_id = {outcome.id: outcome for outcome in outcomes}
        for timer in batch:
            outcome = by_id.get(timer.id, FireOutcome(timer.id, error="retry"))
            if outcome.error == "retry" and timer.attempt + 1 < TIMER_MAX_ATTEMPTS:
                self._retry_later(timer)
                continue
            if outcome.error:
                workflow.logger.error("timer %s given up: %s", timer.id, outcome.error)
            self._pending.pop(timer.id, None)
            self._remember(timer.id)

    def _retry_later(self, timer: ShardTimer) -> None:
        backoff = min(2.0**timer.attempt, TIMER_BACKOFF_MAX_SECS)
        timer.attempt += 1
        timer.due_at = (workflow.now() + timedelta(seconds=backoff)).isoformat()


def _history_full(limit: int) -> bool:
    """Whether this run's history should end in a continue-as-new: ``limit`` events reached,
    or the server suggests it."""
    info = workflow.info()
    return info.get_current_history_length() >= limit or info.is_continue_as_new_suggested()


async def _sleep_until(due_at: str, summary: str) -> None:
    due = _moment(due_at)
    delay = (due - workflow.now()).total_seconds()
    if delay > 0:
        await workflow.sleep(delay, summary=summary)


@workflow.defn(name=AUTO_COMPLETE_WORKFLOW)
class AutoCompleteWorkflow:
    """Legacy (no longer started: ``TimerShardWorkflow`` holds completions; registered so runs
    open at an upgrade finish). One per started task: sleeps (durably) until the task's
    estimate runs out, counted from its recorded start, then completes it. A task already
    completed, cancelled or unknown is a result (False), not a failure."""

    @workflow.run
    async def run(self, timer: TimerInput) -> bool:
        await _sleep_until(timer.due_at, "until the estimate runs out")
        done: bool = await workflow.execute_activity(
            AUTO_COMPLETE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return done


@workflow.defn(name=ASSIGNMENT_TIMEOUT_WORKFLOW)
class AssignmentTimeoutWorkflow:
    """Legacy, as ``AutoCompleteWorkflow``. One per assignment: sleeps until the assignment's
    TTL runs out, then sends the task back to the queue (boosted) if it is still ASSIGNED
    under that assignment."""

    @workflow.run
    async def run(self, timer: TimerInput) -> bool:
        await _sleep_until(timer.due_at, "until the assignment goes stale")
        requeued: bool = await workflow.execute_activity(
            REQUEUE_STALE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return requeued


@workflow.defn(name=RELEASE_WORKFLOW)
class ReleaseWorkflow:
    """Legacy, as ``AutoCompleteWorkflow``. One per paced order and planned instant: sleeps
    until then, then releases the order's items due by then (finish-together pacing).
    Nothing left to release is a result."""

    @workflow.run
    async def run(self, timer: ReleaseInput) -> bool:
        await _sleep_until(timer.due_at, "until the item's release")
        released: bool = await workflow.execute_activity(
            RELEASE_DUE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return released


# The one-workflow-per-timer classes above are no longer started (the shard workflows hold
# every timer); they stay registered so that runs already open when a kitchen upgrades
# still find a worker and finish (docs/temporal.md, "Migration").
WORKFLOWS = (
    AllocationWorkflow,
    TimerShardWorkflow,
    AutoCompleteWorkflow,
    AssignmentTimeoutWorkflow,
    ReleaseWorkflow,
)
