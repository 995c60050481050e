"""Counters and machines: the kitchen's stations."""

from __future__ import annotations

from kangaroo_paw.application.core import STATIONS, KitchenCore, Touched, retried
from kangaroo_paw.application.views import StationView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import Conflict, InvalidResource, NotFound
from kangaroo_paw.domain.station import COUNTER, MACHINE, Station, check_capacity
from kangaroo_paw.domain.task import TaskStatus

_NAME_MAX = 64


def _check_name(kind: str, name: str) -> None:
    if not name or len(name) > _NAME_MAX or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidResource(
            f"{kind} name {name!r} must be 1-{_NAME_MAX} letters, digits, '-' or '_'"
        )


class StationCommands(KitchenCore):
    """Add counters and machines, change a counter's capacity, take a machine down or up."""

    def add_counter(self, name: str, capacity: int) -> StationView:
        return self._add_station(name, COUNTER, None, capacity, None)

    def add_machine(
        self, name: str, counter: str, capacity: int, machine_kind: str | None = None
    ) -> StationView:
        """Add a machine of ``machine_kind`` (its pool; default: its own name)."""
        kind = name if machine_kind is None else machine_kind
        _check_name("machine kind", kind)
        return self._add_station(name, MACHINE, counter, capacity, kind)

    @retried
    def _add_station(
        self, name: str, kind: str, counter: str | None, capacity: int, machine_kind: str | None
    ) -> StationView:
        _check_name(kind, name)
        check_capacity(capacity)
        directory = self.directory(STATIONS)
        if name in directory.members:
            raise Conflict(f"a counter or machine named {name!r} already exists", name=name)
        if counter is not None:
            owner = directory.members.get(counter)
            if owner is None or self.load(Station, owner).kind != COUNTER:
                raise InvalidResource(f"unknown counter {counter!r}", counter=counter)
        station = Station(
            id=ids.station_id(name),
            name=name,
            kind=kind,
            counter=counter,
            capacity=capacity,
            machine_kind=machine_kind,
        )
        directory.add(name, station.id)
        self.save(directory, station)
        return StationView.of(station)

    def station(self, name: str, kind: str | None = None) -> Station:
        station_id = self.directory(STATIONS).members.get(name)
        if station_id is None:
            raise NotFound(f"{kind or 'station'} {name!r} not found", name=name)
        station = self.load(Station, station_id)
        if kind is not None and station.kind != kind:
            raise NotFound(f"{kind} {name!r} not found", name=name)
        return station

    @retried
    def change_counter_capacity(self, name: str, capacity: int) -> StationView:
        station = self.station(name, COUNTER)
        station.change_capacity(capacity)
        self.save(station)
        return StationView.of(station)

    @retried
    def set_machine_up(self, name: str, up: bool) -> StationView:
        """Take a machine down or bring it up. Going down, in the same save: every task
        ASSIGNED to it and not started is rerouted (its slots and cook released, back in the
        queue at its place, so a pool's other machines take it at once); every STARTED one
        keeps running to completion on it and is recorded as interrupted."""
        self.station(name, MACHINE)  # 404 before anything else
        stations = self.stations()
        machine = stations[name]
        now = self.clock.now()
        touched: Touched = {machine.id: machine}
        if up:
            machine.come_up(now)
        elif machine.up:
            machine.go_down(now)
            for task_id in list(machine.holders):
                task = self.task(task_id)
                if task.status == TaskStatus.ASSIGNED:
                    cook = self.release(task, stations, touched)
                    if cook is not None:
                        cook.drop(task.id)
                task.machine_down(name, now)
                touched[task.id] = task
        self.save(*touched.values())
        return StationView.of(machine)

    def list_stations(self, kind: str) -> list[StationView]:
        views = [StationView.of(s) for s in self.stations().values() if s.kind == kind]
        return sorted(views, key=lambda v: v.name)
