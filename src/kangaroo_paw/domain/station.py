"""The Station aggregate: a counter, or a machine that belongs to a counter.

A machine has a ``machine_kind`` (its pool: "fryer"); a recipe step that names a kind instead
of a machine runs on any machine of that kind at its counter. A machine registered without a
kind is a pool of its own (its kind is its name)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import CapacityExceeded, InvalidResource, StationDown

COUNTER = "counter"
MACHINE = "machine"
MAX_CAPACITY = 1000


def check_capacity(capacity: int) -> None:
    is_int = isinstance(capacity, int) and not isinstance(capacity, bool)
    if not is_int or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidResource(f"capacity must be an integer from 1 to {MAX_CAPACITY}")


class Station(Aggregate):
    """Holds capacity slots. Invariant: holders <= capacity; nothing reserved while down."""

    TOPIC = "kangaroo_paw.station.v1"
    class_version = 3  # snapshots: down_since added (2), machine_kind added (3)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["down_since"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["machine_kind"] = _default_kind(state)

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.station.registered.v1"
        WIRE: ClassVar[str] = "STATION_REGISTERED"
        name: str
        kind: str
        counter: str | None
        capacity: int
        machine_kind: str | None

        class_version = 2  # machine_kind added

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Machines registered before pools: each is a pool of its own."""
            state["machine_kind"] = _default_kind(state)

    class CapacityChanged(Aggregate.Event):
        TOPIC = "kangaroo_paw.station.capacity_changed.v1"
        WIRE: ClassVar[str] = "STATION_CAPACITY_CHANGED"
        capacity: int

    class Reserved(Aggregate.Event):
        TOPIC = "kangaroo_paw.station.reserved.v1"
        WIRE: ClassVar[str] = "STATION_RESERVED"
        task_id: UUID

    class Released(Aggregate.Event):
        TOPIC = "kangaroo_paw.station.released.v1"
        WIRE: ClassVar[str] = "STATION_RELEASED"
        task_id: UUID

    class WentDown(Aggregate.Event):
        TOPIC = "kangaroo_paw.station.went_down.v1"
        WIRE: ClassVar[str] = "STATION_DOWN"
        at: datetime

    class CameUp(Aggregate.Event):
        TOPIC = "kangaroo_paw.station.came_up.v1"
        WIRE: ClassVar[str] = "STATION_UP"
        at: datetime

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        name: str,
        kind: str,
        counter: str | None,
        capacity: int,
        machine_kind: str | None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.machine_kind = machine_kind
        self.counter = counter
        self.capacity = capacity
        self.up = True
        self.down_since: datetime | None = None
        self.holders: list[UUID] = []

    @property
    def free(self) -> int:
        """Slots open to new work (none while down)."""
        return max(0, self.capacity - len(self.holders)) if self.up else 0

    def serves(self, counter: str, machine_kind: str) -> bool:
        """Whether this is a machine of ``machine_kind`` at ``counter`` (a pool member)."""
        return (
            self.kind == MACHINE and self.counter == counter and self.machine_kind == machine_kind
        )

    def change_capacity(self, capacity: int) -> None:
        check_capacity(capacity)
        if capacity < len(self.holders):
            raise CapacityExceeded(
                f"{self.name} holds {len(self.holders)} task(s); capacity cannot drop to "
                f"{capacity} until they finish",
                station=self.name,
                holders=len(self.holders),
            )
        if capacity != self.capacity:
            self._capacity_changed(capacity=capacity)

    def reserve(self, task_id: UUID) -> None:
        if not self.up:
            raise StationDown(f"{self.kind} {self.name} is down", station=self.name)
        if task_id in self.holders:
            return
        if len(self.holders) >= self.capacity:
            raise CapacityExceeded(f"{self.kind} {self.name} is full", station=self.name)
        self._reserved(task_id=task_id)

    def release(self, task_id: UUID) -> None:
        if task_id in self.holders:
            self._released(task_id=task_id)

    def go_down(self, at: datetime) -> None:
        """Work in progress finishes; nothing new is reserved until it comes back up."""
        if self.up:
            self._went_down(at=at)

    def come_up(self, at: datetime) -> None:
        if not self.up:
            self._came_up(at=at)

    @event(CapacityChanged)
    def _capacity_changed(self, capacity: int) -> None:
        self.capacity = capacity

    @event(Reserved)
    def _reserved(self, task_id: UUID) -> None:
        self.holders.append(task_id)

    @event(Released)
    def _released(self, task_id: UUID) -> None:
        self.holders.remove(task_id)

    @event(WentDown)
    def _went_down(self, at: datetime) -> None:
        self.up = False
        self.down_since = at

    @event(CameUp)
    def _came_up(self, at: datetime) -> None:
        self.up = True
        self.down_since = None


def _default_kind(state: dict[str, Any]) -> str | None:
    return str(state["name"]) if state.get("kind") == MACHINE else None
