"""Activities: the only place the workflows reach the Kitchen. They run on the worker's thread
pool (the Kitchen is synchronous) and call the ``TimerHandlers`` port the Kitchen implements."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from kangaroo_paw.adapters.temporal.common import (
    ALLOCATE_ACTIVITY,
    ALLOCATE_HEARTBEAT,
    AUTO_COMPLETE_ACTIVITY,
    FIRE_TIMERS_ACTIVITY,
    RELEASE_DUE_ACTIVITY,
    REQUEUE_STALE_ACTIVITY,
    FireOutcome,
    PassOutcome,
    ReleaseInput,
    ShardTimer,
    TimerInput,
)
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import KitchenError, NotFound
from kangaroo_paw.ports.scheduler import BatchCompletions, Timer, TimerHandlers, fire

log = logging.getLogger(__name__)

T = TypeVar("T")

# Waits until the ready queue reflects every event committed when the pass began (at most the
# given seconds); returns whether it does.
CatchUp = Callable[[float], bool]

PROJECTION_WAIT_SECS = 5.0
HEARTBEAT_EVERY_SECS = ALLOCATE_HEARTBEAT.total_seconds() / 4


def queue_catch_up(kitchen: Kitchen, poll_secs: float = 0.01) -> CatchUp:
    """The ready queue is a projection fed apart from the Kafka topic: a TASK_READY can reach
    the consumer (and trigger a pass) before the projector has queued the task. A pass first
    waits for the queue to reach the store's head as of now, so it sees that task."""

    def wait(timeout: float) -> bool:
        target = kitchen.head_position()
        deadline = time.monotonic() + timeout
        while kitchen.queue.position() < target:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_secs)
        return True

    return wait


# The error type of a domain rule that refused a timer's command: retrying cannot help.
RULE_BROKEN = "KitchenRuleBroken"


@contextmanager
def _heartbeating() -> Iterator[None]:
    """Heartbeat from a side thread while a synchronous activity runs, so a killed worker is
    noticed after the heartbeat timeout rather than the whole start-to-close timeout."""
    context = contextvars.copy_context()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_EVERY_SECS):
            try:
                context.run(activity.heartbeat)
            except Exception:  # the activity itself will report what matters
                log.debug("heartbeat failed", exc_info=True)
                return

    ticker = threading.Thread(target=beat, name="kp-heartbeat", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join(timeout=1)


def _settled(call: Callable[[], T], default: T) -> T:
    """Run a timer callback; an unknown task ends cleanly, a broken rule does not retry."""
    try:
        return call()
    except NotFound:
        return default
    except KitchenError as exc:
        raise ApplicationError(str(exc), exc.code, type=RULE_BROKEN, non_retryable=True) from exc


class KitchenActivities:
    """Bound to one kitchen's handlers; register ``activities()`` on the worker.

    Commands run one at a time per worker process (``serialize``): they all touch the same
    few station and cook aggregates, so concurrent commands in one process would only lose
    optimistic-concurrency races to each other — retried on fresh state, but a loser can
    exhaust its retries under a burst. Commands from other processes still race, and retry."""

    def __init__(
        self, handlers: TimerHandlers, catch_up: CatchUp | None = None, *, serialize: bool = True
    ) -> None:
        self.handlers = handlers
        self.catch_up = catch_up
        self._lock: AbstractContextManager[Any] = (
            threading.Lock() if serialize else contextlib.nullcontext()
        )

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.allocate,
            self.fire_timers,
            self.auto_complete,
            self.requeue_stale,
            self.release_due,
        ]

    def _command(self, call: Callable[[], T], default: T) -> tuple[T, str]:
        """Run a timer callback under the lock (``_settled``); the result and how long it
        waited and ran."""
        return self._locked(lambda: _settled(call, default))

    def _locked(self, call: Callable[[], T]) -> tuple[T, str]:
        asked = time.monotonic()
        with self._lock:
            began = time.monotonic()
            result = call()
        ran = time.monotonic() - began
        return result, f"waited {(began - asked) * 1000:.0f} ms, ran {ran * 1000:.0f} ms"

    @activity.defn(name=ALLOCATE_ACTIVITY)
    def allocate(self) -> PassOutcome:
        """Run allocation passes until one assigns nothing (``allocate_now``)."""
        with _heartbeating():
            caught_up = self.catch_up(PROJECTION_WAIT_SECS) if self.catch_up else True
            if not caught_up:
                log.warning("ready queue still behind the store after %ss", PROJECTION_WAIT_SECS)
            assigned, took = self._command(self.handlers.allocate_now, 0)
        log.info("allocation assigned %d task(s) (%s)", assigned, took)
        return PassOutcome(assigned=assigned, caught_up=caught_up)

    @activity.defn(name=FIRE_TIMERS_ACTIVITY)
    def fire_timers(self, timers: list[ShardTimer]) -> list[FireOutcome]:
        """Fire a shard's due timers, one command each, in the given (due) order. Each has
        its own outcome: one that fails is reported for a retry (``retry``) or as refused by
        a domain rule (``broken``) and never costs the others theirs."""
        with _heartbeating():
            if timers:
                now = datetime.now(UTC)
                late = [(now - _due(t)).total_seconds() * 1000 for t in timers]
                log.info(
                    "firing %d timer(s), %.0f-%.0f ms after due",
                    len(timers),
                    min(late),
                    max(late),
                )
            together = self._complete_together([t for t in timers if t.kind == "complete"])
            return [together.get(timer.id) or self._fire_one(timer) for timer in timers]

    def _complete_together(self, timers: list[ShardTimer]) -> dict[str, FireOutcome]:
        """The due completions of a batch in one command (``BatchCompletions``), their
        outcomes by timer id; empty when there are fewer than two, the handlers cannot, or
        the command failed (each is then fired alone, with an outcome of its own)."""
        handlers = self.handlers
        if len(timers) < 2 or not isinstance(handlers, BatchCompletions):
            return {}
        pairs = [(UUID(t.subject), t.number) for t in timers]
        try:
            done, took = self._locked(lambda: handlers.auto_complete_many(pairs))
        except Exception as exc:  # noqa: BLE001 - each is tried alone next
            log.warning("completing %d tasks together failed, one by one: %r", len(pairs), exc)
            return {}
        log.info("completed %d of %d due task(s) in one save (%s)", sum(done), len(done), took)
        return {t.id: FireOutcome(t.id, done=d) for t, d in zip(timers, done, strict=True)}

    def _fire_one(self, shard_timer: ShardTimer) -> FireOutcome:
        timer = Timer(
            shard_timer.kind,  # type: ignore[arg-type]  # complete/timeout/release, from ours
            UUID(shard_timer.subject),
            shard_timer.number,
            _due(shard_timer),
        )
        try:
            done, took = self._command(lambda: fire(timer, self.handlers), False)
        except ApplicationError as exc:  # a broken rule (``_settled``): retrying cannot help
            log.error("timer %s refused: %s", shard_timer.id, exc)
            return FireOutcome(shard_timer.id, error="broken")
        except Exception as exc:  # noqa: BLE001 - reported, retried by the workflow
            log.warning(
                "timer %s failed (attempt %d): %r", shard_timer.id, shard_timer.attempt, exc
            )
            return FireOutcome(shard_timer.id, error="retry")
        log.info("timer %s: %s (%s)", shard_timer.id, "done" if done else "nothing to do", took)
        return FireOutcome(shard_timer.id, done=done)

    @activity.defn(name=AUTO_COMPLETE_ACTIVITY)
    def auto_complete(self, timer: TimerInput) -> bool:
        """Complete a task STARTED under the timer's start; False when it is already
        settled, started anew since, or unknown."""
        task_id = UUID(timer.task_id)
        done, took = self._command(
            lambda: self.handlers.auto_complete(task_id, timer.start_no), False
        )
        outcome = "completed" if done else "nothing to do"
        log.info("auto-complete %s#%d: %s (%s)", task_id, timer.start_no, outcome, took)
        return done

    @activity.defn(name=REQUEUE_STALE_ACTIVITY)
    def requeue_stale(self, timer: TimerInput) -> bool:
        """Requeue a task still ASSIGNED under the timer's assignment; False otherwise."""
        task_id = UUID(timer.task_id)
        requeued, took = self._command(
            lambda: self.handlers.requeue_stale(task_id, timer.assignment_no), False
        )
        outcome = "requeued (stale)" if requeued else "nothing to do"
        log.info("assignment %s#%d: %s (%s)", task_id, timer.assignment_no, outcome, took)
        return requeued

    @activity.defn(name=RELEASE_DUE_ACTIVITY)
    def release_due(self, timer: ReleaseInput) -> bool:
        """Release a paced order's items due by the timer; False when none is left."""
        order_id = UUID(timer.order_id)
        at = datetime.fromisoformat(timer.due_at.replace("Z", "+00:00"))
        released, took = self._command(lambda: self.handlers.release_due(order_id, at), False)
        outcome = "released" if released else "nothing to do"
        log.info("release %s at %s: %s (%s)", order_id, timer.due_at, outcome, took)
        return released


def _due(timer: ShardTimer) -> datetime:
    return datetime.fromisoformat(timer.due_at.replace("Z", "+00:00"))
