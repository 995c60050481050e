"""KitchenCore: the eventsourcing Application that every Kitchen command builds on."""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError

from kangaroo_paw.application.envelopes import Recorded, envelopes
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.application.telemetry import report_saved
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.directory import Directory
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import MACHINE, Station
from kangaroo_paw.domain.task import Task
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.metrics import NO_METRICS, Metrics
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel

log = logging.getLogger(__name__)

A = TypeVar("A")
P = ParamSpec("P")
R = TypeVar("R")
Core = TypeVar("Core", bound="KitchenCore")

# The aggregates one command changed, by id, saved together at its end; a command looks an
# aggregate up here before loading it so that two changes to it land on one copy.
Touched = dict[UUID, Any]

STATIONS = "stations"
STAFF = "staff"
RECIPES = "recipes"

DEFAULT_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": "20000",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
    "COMPRESSOR_TOPIC": "",
    # Stamps the current actor (who made the request) into every stored event.
    "MAPPER_TOPIC": "kangaroo_paw.application.actor:ActorMapper",
}


_attempt: ContextVar[int] = ContextVar("conflict_attempt", default=1)


def retried(method: Callable[Concatenate[Core, P], R]) -> Callable[Concatenate[Core, P], R]:
    """Run a command method again, whole, on fresh state when a concurrent writer won the race.

    A command loads what it needs, changes it and saves it in one ``save``; the event store
    refuses the save (``RecordConflictError``) when an aggregate moved on since it was loaded.
    The method is then re-run from the top - it reloads everything - up to
    ``policy.conflict_retries`` attempts in all, with a jittered backoff between them; the last
    conflict propagates. Whatever runs in the method runs once per attempt, so anything that
    must happen once (drawing a fresh id) belongs to the caller, outside it.
    """

    @functools.wraps(method)
    def run(self: Core, /, *args: P.args, **kwargs: P.kwargs) -> R:
        attempts = self.policy.conflict_retries
        for attempt in range(1, attempts + 1):
            token = _attempt.set(attempt)
            try:
                return method(self, *args, **kwargs)
            except RecordConflictError:
                if attempt == attempts:
                    raise
                log.debug("version conflict, retrying (attempt %d)", attempt)
                # Jittered backoff: writers that collided once would collide again if they
                # all retried at the same instant.
                time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
            finally:
                _attempt.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def conflict_attempt() -> int:
    """Which attempt (1 for the first) the innermost ``@retried`` command running here is on;
    an allocation pass reports it. Per thread and nesting-safe (a context variable)."""
    return _attempt.get()


class KitchenCore(Application[UUID]):
    """Persistence, the clock, the projections it reads and the helpers commands share."""

    name = "kitchen"
    snapshotting_intervals = {Station: 50, Staff: 50, Directory: 50, Order: 50, Recipe: 50}

    def __init__(
        self,
        *,
        policy: Policy | None = None,
        clock: Clock,
        queue: ReadyQueue,
        read_model: ReadModel,
        env: Mapping[str, str] | None = None,
        snapshot_every: int | None = None,
    ) -> None:
        merged = dict(DEFAULT_ENV)
        merged.update(env or {})
        if snapshot_every is not None:
            # Long-lived aggregates (a station sees every task it ever ran) are loaded from a
            # snapshot plus at most ``snapshot_every`` events, so load time stays flat. The
            # library declares the intervals per class; a per-instance value is what we need.
            self.snapshotting_intervals = dict.fromkeys(  # type: ignore[misc]
                type(self).snapshotting_intervals, snapshot_every
            )
        super().__init__(env=merged)
        self.policy = policy or Policy()
        self.clock = clock
        self.queue = queue
        self.read_model = read_model
        self._save_listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()
        self._sync_reads: Callable[[], object] = lambda: None
        # What this process reports about its work; a process that exports metrics sets it.
        self.metrics: Metrics = NO_METRICS

    # -- persistence helpers -----------------------------------------------------------------

    def on_saved(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful save (wakes in-process followers)."""
        with self._listeners_lock:
            self._save_listeners.append(listener)

    def read_own_writes(self, sync: Callable[[], object]) -> None:
        """Have queries and allocation passes call ``sync`` before they read the ready queue
        or the read model, so that they see every write made so far (the embedded runtime
        registers its follower's drain; in services mode the projector is a process apart)."""
        self._sync_reads = sync

    def sync_reads(self) -> None:
        self._sync_reads()

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        report_saved(self.metrics, objs, recordings)
        for listener in list(self._save_listeners):
            try:
                listener()
            except Exception:  # a listener must never undo a committed save
                log.exception("save listener failed")
        return recordings

    def load(self, kind: type[A], aggregate_id: UUID, what: str = "") -> A:
        """Get an aggregate of ``kind`` or raise ``NotFound``."""
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what or kind.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{what or kind.__name__.lower()} {aggregate_id} not found")
        return aggregate

    def peek(self, kind: type[A], aggregate_id: UUID, what: str = "") -> A:
        """Like ``load``, but the cached aggregate itself rather than a deep copy of it: for
        reads of values that one assignment replaces (a station's kind and capacity), never
        for changes, and never for several fields that one event rebinds together (another
        thread may fast-forward the cached copy meanwhile). The deep copy ``load`` makes is
        most of what a confirm spends outside the forecast (docs/performance.md)."""
        try:
            aggregate: object = self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise NotFound(f"{what or kind.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{what or kind.__name__.lower()} {aggregate_id} not found")
        return aggregate

    def members(self, kind: str) -> dict[str, UUID]:
        """A copy of the members of the directory of ``kind`` (empty when none was saved),
        read without copying the directory (``peek``); the dict copy is taken in one step."""
        try:
            return dict(self.peek(Directory, ids.directory_id(kind)).members)
        except NotFound:
            return {}

    def machine_capacities(self, names: Iterable[str] | None = None) -> dict[str, int]:
        """Each machine station's capacity, by name (only those of ``names`` when given): what
        exploding an order into tasks needs of the stations, read without copying them. A
        confirm names the machines its recipes' steps use, so it reads those stations only."""
        members = self.members(STATIONS)
        wanted = members if names is None else {n: members[n] for n in names if n in members}
        capacities: dict[str, int] = {}
        for name, station_id in wanted.items():
            station = self.peek(Station, station_id)
            if station.kind == MACHINE:
                capacities[name] = station.capacity
        return capacities

    def exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def directory(self, kind: str) -> Directory:
        """The directory of ``kind``; a new, unsaved one when nothing was registered yet."""
        try:
            return self.load(Directory, ids.directory_id(kind))
        except NotFound:
            return Directory(id=ids.directory_id(kind), kind=kind)

    def stations(self) -> dict[str, Station]:
        members = self.directory(STATIONS).members
        return {name: self.load(Station, sid) for name, sid in members.items()}

    def all_staff(self) -> list[Staff]:
        members = self.directory(STAFF).members
        return [self.load(Staff, sid) for sid in members.values()]

    def release(
        self, task: Task, stations: Mapping[str, Station], touched: Touched
    ) -> Staff | None:
        """Give back the station slots an active task holds and return its cook, if any, still
        holding the task: withdrawn work (cancel, requeue) drops it, completed work credits it.

        Call it while the task is still ASSIGNED or STARTED: its status is what says what it
        holds. Every aggregate changed goes into ``touched``; the cook is taken from there when
        this command already changed it (an order's tasks often share one).
        """
        for name in task.held_stations():
            station = stations[name]
            station.release(task.id)
            touched[station.id] = station
        if task.assigned_staff_id is None:
            return None
        cook: Staff = touched.get(task.assigned_staff_id) or self.load(
            Staff, task.assigned_staff_id
        )
        touched[cook.id] = cook
        return cook

    def withdraw(
        self, task: Task, stations: Mapping[str, Station], touched: Touched, at: datetime
    ) -> None:
        """Cancel an open task, giving back what it holds (an order cancelled, a line
        voided)."""
        cook = self.release(task, stations, touched)
        if cook is not None:
            cook.drop(task.id)
        task.cancel(at)
        touched[task.id] = task

    def task(self, task_id: UUID) -> Task:
        return self.load(Task, task_id, "task")

    def order(self, order_id: UUID) -> Order:
        return self.load(Order, order_id, "order")

    def head_position(self) -> int:
        """The newest notification id (0 for an empty store)."""
        return self.recorder.max_notification_id() or 0

    def recorded(self, after: int = 0, limit: int = 100) -> list[Recorded]:
        """Recorded events with notification id > ``after``, oldest first."""
        notifications = self.recorder.select_notifications(start=max(0, after) + 1, limit=limit)
        return [Recorded(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def event_log(self, after: int = 0, limit: int = 100) -> list[Envelope]:
        """The same, as wire envelopes (for what leaves the process: the events route)."""
        return envelopes(self.recorded(after, limit))
