"""Recipes: define or revise, retire, 86 and bring back, read."""

from __future__ import annotations

from collections.abc import Sequence

from kangaroo_paw.application.core import RECIPES, KitchenCore, retried
from kangaroo_paw.application.views import RecipeView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.recipes import (
    Dependency,
    RecipeStep,
    build_dependencies,
    validate_recipe,
)
from kangaroo_paw.domain.station import COUNTER, MACHINE, Station


class RecipeCommands(KitchenCore):
    """Define, revise and retire menu items as steps and dependencies; 86 them and bring them
    back; read them back."""

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
        kinds: dict[str, set[str]] = {}
        for station in stations.values():
            if station.kind == MACHINE and station.counter and station.machine_kind:
                kinds.setdefault(station.counter, set()).add(station.machine_kind)
        validate_recipe(item_key, steps, deps, counters, machines, kinds)
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

    @retried
    def set_available(self, item_key: str, available: bool) -> RecipeView:
        """86 an item (``available=False``: new confirms and quotes of it get
        ``ItemUnavailable``) or bring it back. Apart from retirement and revision, which leave
        it as it is; confirmed orders are unaffected. Idempotent: nothing is recorded when the
        item already is so."""
        recipe = self._recipe(item_key)
        if recipe.mark_available(available, self.clock.now()):
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
