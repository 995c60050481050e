"""What workflows, activities and the client agree on: names, ids, inputs, and the timeouts
and retry policies of every activity (written down here, and tested).

Imported inside the workflow sandbox, so it holds nothing but the standard library and
``temporalio.common``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from uuid import UUID

from temporalio.common import RetryPolicy

# -- names -------------------------------------------------------------------------------------

ALLOCATION_WORKFLOW = "AllocationWorkflow"
AUTO_COMPLETE_WORKFLOW = "AutoCompleteWorkflow"
ASSIGNMENT_TIMEOUT_WORKFLOW = "AssignmentTimeoutWorkflow"
RELEASE_WORKFLOW = "ReleaseWorkflow"
TIMER_SHARD_WORKFLOW = "TimerShardWorkflow"
REQUEST_SIGNAL = "request_allocation"
ARM_SIGNAL = "arm_timers"

ALLOCATE_ACTIVITY = "kitchen.allocate"
AUTO_COMPLETE_ACTIVITY = "kitchen.auto_complete"
REQUEUE_STALE_ACTIVITY = "kitchen.requeue_stale"
RELEASE_DUE_ACTIVITY = "kitchen.release_due"
FIRE_TIMERS_ACTIVITY = "kitchen.fire_timers"

# -- workflow ids ------------------------------------------------------------------------------


def allocation_workflow_id(kitchen: str) -> str:
    """One allocation workflow per kitchen: every request signals the same one."""
    return f"allocation-{kitchen}"


def timer_shard(subject: UUID | str, shards: int) -> int:
    """The shard of a task's (or an order's) timers: stable across processes and restarts
    (the UUID's own number, not Python's salted ``hash``), so every timer of one task lands
    in the same shard workflow, where a redelivered one is recognised."""
    return UUID(str(subject)).int % shards


def timer_shard_workflow_id(kitchen: str, shard: int) -> str:
    """One long-running timer workflow per shard of a kitchen's tasks."""
    return f"timers-{shard}@{kitchen}"


# -- inputs and results (plain dataclasses: the JSON payload converter carries them) -----------


@dataclass
class AllocationState:
    """What an allocation run starts with; ``continue_as_new`` carries it to the next run."""

    kitchen: str
    pending: bool = True  # a request is waiting (the start signal, or one carried over)
    passes: int = 0  # passes run by earlier runs of this workflow id (diagnostics)
    passes_per_run: int = 500  # continue as new after this many passes (PASSES_PER_RUN)
    sweep_secs: float = 30.0  # a pass this often even without a request (ALLOCATION_SWEEP)


@dataclass
class PassOutcome:
    """What one allocation activity did."""

    assigned: int
    caught_up: bool = True  # the ready queue had caught up with the store when it ran


@dataclass
class TimerInput:
    """A durable timer for one task: fire at ``due_at`` (RFC 3339, UTC)."""

    task_id: str
    due_at: str
    assignment_no: int = 0  # the assignment a timeout belongs to; 0 for a completion
    # The start a completion belongs to; 1 for timers armed before starts were numbered.
    start_no: int = 1


@dataclass
class ReleaseInput:
    """A durable release timer of a paced order: at ``due_at`` (RFC 3339, UTC) release the
    items planned by then."""

    order_id: str
    due_at: str


@dataclass
class ShardTimer:
    """A timer held by a shard workflow: ``kind`` complete/timeout/release, ``subject`` the
    task (or order), ``number`` its start_no/assignment_no, ``due_at`` RFC 3339 UTC; ``id``
    is ``ports.scheduler.Timer.id`` (what dedupes); ``attempt`` counts failed firings."""

    id: str
    kind: str
    subject: str
    number: int
    due_at: str
    attempt: int = 0


@dataclass
class TimerShardState:
    """What a shard run starts with; ``continue_as_new`` carries the timers still pending and
    the ids fired lately (so a redelivered timer is not fired twice across runs)."""

    kitchen: str
    shard: int
    pending: list[ShardTimer] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    # Continue as new past this many history events (each signal, each fired batch and each
    # wake-up is a few), carrying the pending timers: the history stays small.
    history_per_run: int = 2_000


@dataclass
class FireOutcome:
    """What became of one timer of a batch: ``done`` (True or False, as the handler said),
    or ``error`` — ``retry`` (try again later) or ``broken`` (a domain rule refused it)."""

    id: str
    done: bool = False
    error: str = ""


# -- activity timeouts and retries -------------------------------------------------------------

# An allocation pass reads the queue and a few aggregates and saves one batch: normally well
# under a second. The heartbeat timeout is what notices a killed worker quickly (instead of
# waiting out start_to_close); a pass that keeps failing gives up after a few minutes and the
# workflow tries again on its own (ALLOCATION_ERROR_PAUSE), so a request is never lost.
ALLOCATE_START_TO_CLOSE = timedelta(seconds=60)
ALLOCATE_HEARTBEAT = timedelta(seconds=10)
ALLOCATE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=10,
)
ALLOCATION_ERROR_PAUSE = timedelta(seconds=5)
# A pass runs this often even when no event asks for one (the in-process twin's sweep): a
# cook's shift starting is no event, and a pass that failed must not leave ready tasks stuck.
ALLOCATION_SWEEP = timedelta(seconds=AllocationState.sweep_secs)
# The queue projection is behind the store: look again after this long.
PROJECTION_LAG_PAUSE = timedelta(seconds=1)

# Completing or requeueing one task is a handful of reads and one save. A task that is gone,
# already completed, cancelled or reassigned is a result (False), not an error; a domain rule
# broken is non-retryable; anything else (database down) is retried with backoff for about a
# quarter of an hour before the workflow fails visibly in the Temporal UI.
TIMER_START_TO_CLOSE = timedelta(seconds=20)
TIMER_MAX_INTERVAL = timedelta(seconds=30)
TIMER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=TIMER_MAX_INTERVAL,
    maximum_attempts=30,
    non_retryable_error_types=["KitchenRuleBroken"],
)

# An allocation run continues as new after this many passes or history events (each pass
# is about six events, each signal one more), so its history stays small.
PASSES_PER_RUN = AllocationState.passes_per_run
HISTORY_EVENTS_PER_RUN = 5_000


# A shard fires at most this many due timers per activity call (each a few reads and one
# save, run one at a time in the worker): a call stays well inside its start-to-close.
FIRE_BATCH = 50
# workflow.patched id: shards opened before it fire a started task's timeouts (as no-ops).
DROP_TIMEOUTS_ON_START = "drop-timeouts-on-start"
FIRE_START_TO_CLOSE = timedelta(seconds=120)
FIRE_HEARTBEAT = timedelta(seconds=10)
# The batch call itself (a killed worker, a lost connection) is retried as a timer is; a
# broken rule is an outcome of one timer in the batch, never the call's error.
FIRE_RETRY = replace(TIMER_RETRY, non_retryable_error_types=None)
# A timer whose own command failed (``retry``) is re-armed after 1 s x 2^n, at most 30 s,
# and dropped (logged) after this many attempts: TIMER_RETRY's schedule (≈ 14 min).
TIMER_MAX_ATTEMPTS = TIMER_RETRY.maximum_attempts
TIMER_BACKOFF_MAX_SECS = TIMER_MAX_INTERVAL.total_seconds()
# A shard remembers this many fired timer ids (across continue-as-new): a redelivered
# event's timer is ignored rather than fired again (which would be harmless anyway).
FIRED_REMEMBERED = 2_000


def allocate_options() -> dict[str, Any]:
    return {
        "start_to_close_timeout": ALLOCATE_START_TO_CLOSE,
        "heartbeat_timeout": ALLOCATE_HEARTBEAT,
        "retry_policy": ALLOCATE_RETRY,
    }


def timer_options() -> dict[str, Any]:
    return {"start_to_close_timeout": TIMER_START_TO_CLOSE, "retry_policy": TIMER_RETRY}


def fire_options() -> dict[str, Any]:
    return {
        "start_to_close_timeout": FIRE_START_TO_CLOSE,
        "heartbeat_timeout": FIRE_HEARTBEAT,
        "retry_policy": FIRE_RETRY,
    }
