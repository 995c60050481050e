"""What the simulation measures, read from the kitchen's own event stream (the envelopes a
kitchen screen or a monitoring consumer would see)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from kangaroo_paw.ports.envelope import Envelope


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
        if info.machine is not None:
            names.append(f"machine {info.machine}")
        return names


# on_assigned(task_id, assignment_no, staff_name): the cook's screen shows a new assignment.
OnAssigned = Callable[[UUID, int, str], None]


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
        self.tasks_completed = 0
        self.requeues = 0
        self.usage = Usage()

    def handle(self, envelopes: Sequence[Envelope]) -> None:
        now = self._now()
        for env in envelopes:
            handler = self._handlers.get(env.type)
            if handler is not None:
                handler(self, env, now)
        self.position = envelopes[-1].notification_id

    def _created(self, env: Envelope, now: float) -> None:
        data = env.data
        assert env.order_id is not None
        self.tasks[env.aggregate_id] = TaskInfo(
            env.order_id,
            str(data["counter"]),
            data.get("machine"),
            float(data["estimate_secs"]),
            tuple(UUID(str(p)) for p in data.get("depends_on", ())),
        )

    def _ready(self, env: Envelope, now: float) -> None:
        self.ready_since[env.aggregate_id] = now

    def _assigned(self, env: Envelope, now: float) -> None:
        info = self.tasks[env.aggregate_id]
        info.staff = str(env.data["staff_name"])
        info.assignment_no = int(env.data["assignment_no"])
        self.waits.append(now - self.ready_since.pop(env.aggregate_id, now))
        for name in self.usage.resources(info):
            self.usage.held[name] += 1
        self._on_assigned(env.aggregate_id, info.assignment_no, info.staff)

    def _started(self, env: Envelope, now: float) -> None:
        for name in self.usage.resources(self.tasks[env.aggregate_id]):
            self.usage.busy[name] += 1

    def _completed(self, env: Envelope, now: float) -> None:
        for name in self.usage.resources(self.tasks[env.aggregate_id]):
            self.usage.held[name] -= 1
            self.usage.busy[name] -= 1
        self.tasks_completed += 1

    def _requeued(self, env: Envelope, now: float) -> None:
        info = self.tasks[env.aggregate_id]
        for name in self.usage.resources(info):
            self.usage.held[name] -= 1
        info.staff = None
        self.ready_since[env.aggregate_id] = now
        self.requeues += 1

    def _order_confirmed(self, env: Envelope, now: float) -> None:
        self.confirmed_at[env.aggregate_id] = now

    def _order_status(self, env: Envelope, now: float) -> None:
        if env.data.get("new_status") == "COMPLETED":
            self.completed_at[env.aggregate_id] = now
            self._newly_completed.append(env.aggregate_id)

    def take_completed(self) -> list[UUID]:
        """Orders completed since the last call."""
        done, self._newly_completed = self._newly_completed, []
        return done

    _handlers: dict[str, Callable[[Observer, Envelope, float], None]] = {
        "TASK_CREATED": _created,
        "TASK_READY": _ready,
        "TASK_ASSIGNED": _assigned,
        "TASK_STARTED": _started,
        "TASK_COMPLETED": _completed,
        "TASK_REQUEUED": _requeued,
        "ORDER_CONFIRMED": _order_confirmed,
        "ORDER_STATUS_CHANGED": _order_status,
    }
