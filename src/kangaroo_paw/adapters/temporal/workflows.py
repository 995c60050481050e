"""The kitchen's workflows. Sandbox-safe: they keep time with ``workflow.now``/durable timers
and touch aggregates only through activities (referred to by name, so this module imports no
application code)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

from kangaroo_paw.adapters.temporal.common import (
    ALLOCATE_ACTIVITY,
    ALLOCATION_ERROR_PAUSE,
    ALLOCATION_WORKFLOW,
    ASSIGNMENT_TIMEOUT_WORKFLOW,
    AUTO_COMPLETE_ACTIVITY,
    AUTO_COMPLETE_WORKFLOW,
    HISTORY_EVENTS_PER_RUN,
    PROJECTION_LAG_PAUSE,
    RELEASE_DUE_ACTIVITY,
    RELEASE_WORKFLOW,
    REQUEST_SIGNAL,
    REQUEUE_STALE_ACTIVITY,
    AllocationState,
    PassOutcome,
    ReleaseInput,
    TimerInput,
    allocate_options,
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
        info = workflow.info()
        return (
            self._passes >= passes_per_run
            or info.get_current_history_length() >= HISTORY_EVENTS_PER_RUN
            or info.is_continue_as_new_suggested()
        )


async def _sleep_until(due_at: str, summary: str) -> None:
    due = datetime.fromisoformat(due_at.replace("Z", "+00:00"))
    delay = (due - workflow.now()).total_seconds()
    if delay > 0:
        await workflow.sleep(delay, summary=summary)


@workflow.defn(name=AUTO_COMPLETE_WORKFLOW)
class AutoCompleteWorkflow:
    """One per started task: sleeps (durably) until the task's estimate runs out, counted from
    its recorded start, then completes it. A task already completed, cancelled or unknown is
    a result (False), not a failure."""

    @workflow.run
    async def run(self, timer: TimerInput) -> bool:
        await _sleep_until(timer.due_at, "until the estimate runs out")
        done: bool = await workflow.execute_activity(
            AUTO_COMPLETE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return done


@workflow.defn(name=ASSIGNMENT_TIMEOUT_WORKFLOW)
class AssignmentTimeoutWorkflow:
    """One per assignment: sleeps until the assignment's TTL runs out, then sends the task
    back to the queue (boosted) if it is still ASSIGNED under that assignment."""

    @workflow.run
    async def run(self, timer: TimerInput) -> bool:
        await _sleep_until(timer.due_at, "until the assignment goes stale")
        requeued: bool = await workflow.execute_activity(
            REQUEUE_STALE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return requeued


@workflow.defn(name=RELEASE_WORKFLOW)
class ReleaseWorkflow:
    """One per paced order and planned instant: sleeps until then, then releases the order's
    items due by then (finish-together pacing). Nothing left to release is a result."""

    @workflow.run
    async def run(self, timer: ReleaseInput) -> bool:
        await _sleep_until(timer.due_at, "until the item's release")
        released: bool = await workflow.execute_activity(
            RELEASE_DUE_ACTIVITY, timer, result_type=bool, **timer_options()
        )
        return released


WORKFLOWS = (AllocationWorkflow, AutoCompleteWorkflow, AssignmentTimeoutWorkflow, ReleaseWorkflow)
