"""Kitchen resources: counters, machines, cooks and recipes."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from kangaroo_paw.application.core import RECIPES, STAFF, STATIONS, KitchenCore, retried
from kangaroo_paw.application.views import RecipeView, StaffView, StationView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import Conflict, InvalidResource, NotFound
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.recipes import (
    Dependency,
    RecipeStep,
    build_dependencies,
    validate_recipe,
)
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff, check_profile
from kangaroo_paw.domain.station import COUNTER, MACHINE, Station, check_capacity

_NAME_MAX = 64


def _check_name(kind: str, name: str) -> None:
    if not name or len(name) > _NAME_MAX or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidResource(
            f"{kind} name {name!r} must be 1-{_NAME_MAX} letters, digits, '-' or '_'"
        )


class ResourceCommands(KitchenCore):
    """Define and change the kitchen: counters, machines, staff, recipes."""

    # -- counters and machines ---------------------------------------------------------------

    def add_counter(self, name: str, capacity: int) -> StationView:
        return self._add_station(name, COUNTER, None, capacity)

    def add_machine(self, name: str, counter: str, capacity: int) -> StationView:
        return self._add_station(name, MACHINE, counter, capacity)

    @retried
    def _add_station(self, name: str, kind: str, counter: str | None, capacity: int) -> StationView:
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
            id=ids.station_id(name), name=name, kind=kind, counter=counter, capacity=capacity
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
        machine = self.station(name, MACHINE)
        if up:
            machine.come_up(self.clock.now())
        else:
            machine.go_down(self.clock.now())
        self.save(machine)
        return StationView.of(machine)

    def list_stations(self, kind: str) -> list[StationView]:
        views = [StationView.of(s) for s in self.stations().values() if s.kind == kind]
        return sorted(views, key=lambda v: v.name)

    # -- staff -------------------------------------------------------------------------------

    @retried
    def hire_staff(
        self,
        name: str,
        skills: Sequence[str],
        max_parallel: int = 2,
        efficiency_multiplier: float = 1.0,
        shift_start: str = "00:00",
        shift_end: str = "00:00",
    ) -> StaffView:
        skills = list(dict.fromkeys(skills))
        check_profile(name, skills, max_parallel, efficiency_multiplier)
        shift = Shift.parse(shift_start, shift_end)
        self._check_skills(skills)
        directory = self.directory(STAFF)
        key = name.strip().casefold()
        if key in directory.members:
            raise Conflict(f"a cook named {name!r} already exists", name=name)
        staff = Staff(
            id=ids.staff_id(name),
            name=name.strip(),
            skills=skills,
            max_parallel=max_parallel,
            efficiency=efficiency_multiplier,
            shift_start=shift.start,
            shift_end=shift.end,
        )
        directory.add(key, staff.id)
        self.save(directory, staff)
        return StaffView.of(staff, self.clock.now())

    @retried
    def update_staff(
        self,
        staff_id: UUID,
        *,
        skills: Sequence[str] | None = None,
        max_parallel: int | None = None,
        efficiency_multiplier: float | None = None,
        shift_start: str | None = None,
        shift_end: str | None = None,
    ) -> StaffView:
        staff = self.load(Staff, staff_id, "cook")
        new_skills = list(dict.fromkeys(skills)) if skills is not None else staff.skills
        self._check_skills(new_skills)
        shift = Shift.parse(
            shift_start if shift_start is not None else staff.shift_start,
            shift_end if shift_end is not None else staff.shift_end,
        )
        staff.update(
            skills=new_skills,
            max_parallel=max_parallel if max_parallel is not None else staff.max_parallel,
            efficiency=(
                efficiency_multiplier if efficiency_multiplier is not None else staff.efficiency
            ),
            shift=shift,
        )
        self.save(staff)
        return StaffView.of(staff, self.clock.now())

    @retried
    def set_break(self, staff_id: UUID, on_break: bool) -> StaffView:
        staff = self.load(Staff, staff_id, "cook")
        now = self.clock.now()
        if on_break:
            staff.start_break(now)
        else:
            staff.end_break(now)
        self.save(staff)
        return StaffView.of(staff, now)

    def get_staff(self, staff_id: UUID) -> StaffView:
        return StaffView.of(self.load(Staff, staff_id, "cook"), self.clock.now())

    def list_staff(self) -> list[StaffView]:
        now = self.clock.now()
        return sorted((StaffView.of(s, now) for s in self.all_staff()), key=lambda v: v.name)

    def _check_skills(self, skills: Sequence[str]) -> None:
        counters = {n for n, s in self.stations().items() if s.kind == COUNTER}
        unknown = [s for s in skills if s not in counters]
        if unknown:
            raise InvalidResource(
                f"unknown counter(s) in skills: {', '.join(unknown)}", unknown=unknown
            )

    # -- recipes -----------------------------------------------------------------------------

    @retried
    def define_recipe(
        self, item_key: str, steps: Sequence[RecipeStep], dependencies: Sequence[Dependency]
    ) -> tuple[RecipeView, bool]:
        """Create or revise a recipe; returns the view and whether it was created."""
        steps = sorted(steps, key=lambda s: s.step_no)
        deps = [(int(a), int(b)) for a, b in dependencies]
        stations = self.stations()
        counters = [n for n, s in stations.items() if s.kind == COUNTER]
        machines = {n: s.counter or "" for n, s in stations.items() if s.kind == MACHINE}
        validate_recipe(item_key, steps, deps, counters, machines)
        directory = self.directory(RECIPES)
        recipe_id = ids.recipe_id(item_key)
        created = item_key not in directory.members
        if created:
            recipe = Recipe(
                id=recipe_id,
                item_key=item_key,
                steps=[s.to_dict() for s in steps],
                dependencies=[[a, b] for a, b in deps],
            )
            directory.add(item_key, recipe_id)
            self.save(directory, recipe)
        else:
            recipe = self.load(Recipe, recipe_id)
            recipe.revise(steps, deps)
            self.save(recipe)
        return self._recipe_view(recipe, stations), created

    @retried
    def retire_recipe(self, item_key: str) -> RecipeView:
        recipe = self._recipe(item_key)
        recipe.retire()
        self.save(recipe)
        return self._recipe_view(recipe, self.stations())

    def get_recipe(self, item_key: str) -> RecipeView:
        return self._recipe_view(self._recipe(item_key), self.stations())

    def list_recipes(self, include_retired: bool = False) -> list[RecipeView]:
        stations = self.stations()
        views = []
        for _key, recipe_id in sorted(self.directory(RECIPES).members.items()):
            recipe = self.load(Recipe, recipe_id)
            if include_retired or not recipe.retired:
                views.append(self._recipe_view(recipe, stations))
        return views

    def _recipe(self, item_key: str) -> Recipe:
        recipe_id = self.directory(RECIPES).members.get(item_key)
        if recipe_id is None:
            raise NotFound(f"no recipe for item {item_key!r}", item_key=item_key)
        return self.load(Recipe, recipe_id)

    @staticmethod
    def _recipe_view(recipe: Recipe, stations: dict[str, Station]) -> RecipeView:
        capacities = {n: s.capacity for n, s in stations.items() if s.kind == MACHINE}
        effective = build_dependencies(recipe.steps, recipe.dependencies, capacities)
        return RecipeView.of(recipe, effective)
