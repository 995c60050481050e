"""What the simulation measures, read from the kitchen's own event stream (the envelopes a
kitchen screen or a monitoring consumer would see)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kangaroo_paw.application.envelopes import Recorded
from kangaroo_paw.domain.order import Order, OrderStatus
from kangaroo_paw.domain.task import Task


@dataclass(slots=True)
class TaskInfo:
    """What the observer remembers of a task from its events."""

    order_id: UUID
    counter: str
    machine: str | None
    estimate_secs: float
    depends_on: tuple[UUID, ...] = ()
    staff: str | None = None
    assignment_no: int = 0
    held_machine: str | None = None  # the machine it holds while assigned (a pool's choice)
    plate: tuple[str, int] = ("", 0)  # (item, unit): the plate this step is part of


@dataclass(slots=True)
class Usage:
    """Time integrals of slots held (assigned or started) and busy (started) per resource."""

    held: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    busy: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    held_area: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    busy_area: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    down_area: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    down: set[str] = field(default_factory=set)
    queue_area: float = 0.0
    last: float = 0.0

    def advance(self, now: float, until: float, queue_length: int) -> None:
        """Integrate the current counts from the last instant to ``now`` (clipped at
        ``until``, the end of the arrival window)."""
        end = min(now, until)
        dt = end - self.last
        if dt > 0:
            for name, count in self.held.items():
                self.held_area[name] += count * dt
            for name, count in self.busy.items():
                self.busy_area[name] += count * dt
            for name in self.down:
                self.down_area[name] += dt
            self.queue_area += queue_length * dt
            self.last = end

    def resources(self, info: TaskInfo) -> list[str]:
        names = [f"cook {info.staff}", f"counter {info.counter}"]
        if info.held_machine is not None:
            names.append(f"machine {info.held_machine}")
        return names


# on_assigned(task_id, assignment_no): the cook's screen shows a new assignment.
OnAssigned = Callable[[UUID, int], None]


class Observer:
    """A follower sink: ticket times, ready-queue waits, requeues and resource usage.
    (The simulation cancels nothing, so TASK_CANCELLED needs no bookkeeping here.)"""

    def __init__(self, now: Callable[[], float], on_assigned: OnAssigned) -> None:
        self._now = now
        self._on_assigned = on_assigned
        self.position = 0
        self.tasks: dict[UUID, TaskInfo] = {}
        self.ready_since: dict[UUID, float] = {}
        self.waits: list[float] = []
        self.confirmed_at: dict[UUID, float] = {}
        self.completed_at: dict[UUID, float] = {}
        self._newly_completed: list[UUID] = []
        self.plates_done: dict[UUID, dict[tuple[str, int], float]] = defaultdict(dict)
        self.spreads: dict[UUID, float] = {}  # order → last plate done - first plate done
        self.tasks_completed = 0
        self.requeues = 0
        self.reroutes = 0
        self.hand_backs = 0
        self.usage = Usage()

    def handle(self, batch: Sequence[Recorded]) -> None:
        now = self._now()
        for recorded in batch:
            handler = self._handlers.get(type(recorded.event))
            if handler is not None:
                handler(self, recorded.event, now)
        self.position = batch[-1].notification_id

    def _created(self, event: Any, now: float) -> None:
        self.tasks[event.originator_id] = TaskInfo(
            event.order_id,
            event.counter,
            event.machine,
            float(event.estimate_secs),
            tuple(event.depends_on),
            plate=(event.item_key, int(event.unit)),
        )

    def _ready(self, event: Any, now: float) -> None:
        self.ready_since[event.originator_id] = now

    def _assigned(self, event: Any, now: float) -> None:
        task_id = event.originator_id
        info = self.tasks[task_id]
        info.staff = event.staff_name
        info.assignment_no = event.assignment_no
        info.held_machine = event.machine
        self.waits.append(now - self.ready_since.pop(task_id, now))
        for name in self.usage.resources(info):
            self.usage.held[name] += 1
        self._on_assigned(task_id, info.assignment_no)

    def _started(self, event: Any, now: float) -> None:
        for name in self.usage.resources(self.tasks[event.originator_id]):
            self.usage.busy[name] += 1

    def _completed(self, event: Any, now: float) -> None:
        info = self.tasks[event.originator_id]
        # A plate is done when its last step is: the latest completion among its steps.
        self.plates_done[info.order_id][info.plate] = now
        for name in self.usage.resources(info):
            self.usage.held[name] -= 1
            self.usage.busy[name] -= 1
        self.tasks_completed += 1

    def _requeued(self, event: Any, now: float) -> None:
        self._back_in_queue(event.originator_id, now)
        self.requeues += 1

    def _rerouted(self, event: Any, now: float) -> None:
        """Its machine went down before it started."""
        self._back_in_queue(event.originator_id, now)
        self.reroutes += 1

    def _handed_back(self, event: Any, now: float) -> None:
        """Its cook went on break before starting it."""
        self._back_in_queue(event.originator_id, now)
        self.hand_backs += 1

    def _back_in_queue(self, task_id: UUID, now: float) -> None:
        info = self.tasks[task_id]
        for name in self.usage.resources(info):
            self.usage.held[name] -= 1
        info.staff = None
        info.held_machine = None
        self.ready_since[task_id] = now

    def _order_confirmed(self, event: Any, now: float) -> None:
        self.confirmed_at[event.originator_id] = now

    def _order_status(self, event: Any, now: float) -> None:
        if event.new_status == OrderStatus.COMPLETED:
            self.completed_at[event.originator_id] = now
            plates = self.plates_done.pop(event.originator_id, {})
            if len(plates) > 1:
                self.spreads[event.originator_id] = max(plates.values()) - min(plates.values())
            self._newly_completed.append(event.originator_id)

    def take_completed(self) -> list[UUID]:
        """Orders completed since the last call."""
        done, self._newly_completed = self._newly_completed, []
        return done

    _handlers: dict[type, Callable[[Observer, Any, float], None]] = {
        Task.Created: _created,
        Task.BecameReady: _ready,
        Task.Assigned: _assigned,
        Task.Started: _started,
        Task.Completed: _completed,
        Task.Requeued: _requeued,
        Task.Rerouted: _rerouted,
        Task.HandedBack: _handed_back,
        Order.Created: _order_confirmed,
        Order.StatusChanged: _order_status,
    }
